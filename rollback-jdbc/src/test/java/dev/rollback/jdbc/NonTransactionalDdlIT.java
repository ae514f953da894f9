package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On a database whose DDL commits at once (H2), the statements an undo script executed are
 * journaled, so a resume continues at the one that failed instead of running the first again.
 */
class NonTransactionalDdlIT {

  @Test
  void aResumedRollbackContinuesAtTheStatementThatFailed(@TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.h2();
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__two.sql"), "ALTER TABLE t ADD COLUMN x INT;\nCREATE TABLE helper (id INT);\n");
    Files.writeString(dir.resolve("U2__two.sql"), "ALTER TABLE t DROP COLUMN x;\nDROP TABLE helper;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).build();
    m.migrateTo("2");
    MigrationsIT.sql(ds, "CREATE VIEW helper_view AS SELECT * FROM helper"); // makes the second undo statement fail

    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("U2__two.sql:2")
        .hasMessageContaining("Run the rollback again to resume");
    assertThat(MigrationsIT.columnExists(ds, "t", "x")).isFalse(); // the first statement committed
    assertThat(m.currentVersion()).isEqualTo("2");

    MigrationsIT.sql(ds, "DROP VIEW helper_view");
    RollbackSummary resumed = m.rollbackTo("1"); // dropping x again would fail: it must not run

    assertThat(resumed.undone()).containsExactly("2");
    assertThat(MigrationsIT.tableExists(ds, "helper")).isFalse();
    assertThat(MigrationsIT.rows(ds, "SELECT \"outcome\" FROM \"rollback_archive\".\"audit\" ORDER BY \"id\""))
        .containsExactly("FAILED", "SUCCEEDED");
  }

  @Test
  void aMigrationThatFailedHalfwayIsFinishedFromTheNextStatementAndARollbackWaitsForIt(@TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.h2();
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY);\nCREATE TABLE helper (id INT);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\nDROP TABLE IF EXISTS helper;\n");
    Files.writeString(dir.resolve("V2__two.sql"), "ALTER TABLE t ADD COLUMN x INT;\n-- rollback:safe\nDROP TABLE helper;\n");
    Files.writeString(dir.resolve("U2__two.sql"), "CREATE TABLE helper (id INT);\nALTER TABLE t DROP COLUMN x;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).build();
    m.migrateTo("1");
    MigrationsIT.sql(ds, "CREATE VIEW helper_view AS SELECT * FROM helper");

    assertThatThrownBy(() -> m.migrateTo("2")).isInstanceOf(MigrationException.class).hasMessageContaining("V2__two.sql:3");
    assertThat(MigrationsIT.columnExists(ds, "t", "x")).isTrue();
    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("V2 (V2__two.sql) was partly applied")
        .hasMessageContaining("1 of 2 statements ran");

    MigrationsIT.sql(ds, "DROP VIEW helper_view");
    assertThat(m.migrateTo("2").applied()).containsExactly("2"); // adding x again would fail: it must not run
    assertThat(m.rollbackTo("1").undone()).containsExactly("2");
    assertThat(MigrationsIT.columnExists(ds, "t", "x")).isFalse();
  }
}
