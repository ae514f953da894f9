package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Flyway users: a real Flyway (13.12.1) applies the versioned scripts and owns
 * flyway_schema_history; we roll its versions back with the U scripts and keep its table
 * consistent, so Flyway validates and migrates again afterwards.
 */
@ExtendWith(PostgresServer.class)
class FlywayIT {

  private static Flyway flyway(DataSource ds, String target) {
    return Flyway.configure().dataSource(ds).locations("classpath:db/flyway").target(target).load();
  }

  private static Migrations ours(DataSource ds) {
    return Migrations.builder(ds).fromClasspath("db/flyway").readingFlywayHistory().build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void rollsBackAFlywayAppliedVersionAndFlywayMigratesItAgain(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    flyway(ds, "2").migrate();
    Migrations m = ours(ds);
    assertThat(m.currentVersion()).isEqualTo("2");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.undone()).containsExactly("2");
    assertThat(MigrationsIT.columnExists(ds, "items", "price")).isFalse();
    MigrationInfo[] pending = flyway(ds, "2").info().pending();
    assertThat(Arrays.stream(pending).map(i -> i.getVersion().getVersion())).containsExactly("2");
    flyway(ds, "2").migrate();
    assertThat(MigrationsIT.columnExists(ds, "items", "price")).isTrue();
    assertThat(m.currentVersion()).isEqualTo("2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void ourMigrationsWriteRowsFlywayValidatesAndTheirRollbackRestoresData(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    flyway(ds, "2").migrate();
    MigrationsIT.sql(ds, "INSERT INTO items (id, name, legacy_code, price) VALUES (1, 'a', 'L-1', 1.00), (2, 'b', NULL, 2.00)");
    Migrations m = ours(ds);

    m.migrateTo("3", "shop@3");

    assertThat(flyway(ds, "3").validateWithResult().validationSuccessful).isTrue();
    assertThat(Arrays.stream(flyway(ds, "3").info().applied()).map(i -> i.getVersion().getVersion())).containsExactly("1", "2", "3");
    m.rollbackTo("2");
    assertThat(MigrationsIT.rows(ds, "SELECT id, legacy_code FROM items ORDER BY id")).containsExactly("1|L-1", "2|null");
    assertThat(Arrays.stream(flyway(ds, "3").info().pending()).map(i -> i.getVersion().getVersion())).containsExactly("3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDestructiveVersionFlywayAppliedWithoutAnArchiveStopsTheRollback(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    flyway(ds, "2").migrate();
    MigrationsIT.sql(ds, "INSERT INTO items (id, name, legacy_code) VALUES (1, 'a', 'L-1')");
    flyway(ds, "3").migrate();

    assertThatThrownBy(() -> ours(ds).rollbackTo("2"))
        .isInstanceOf(MissingArchiveException.class)
        .hasMessageContaining("V3 V3__drop_legacy_code.sql:1 drops items(legacy_code), and it was never archived");
    assertThat(ours(ds).currentVersion()).isEqualTo("3");
  }
}
