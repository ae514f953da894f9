package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.engine.ManualClock;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** PostgreSQL-only faults: a connection killed mid-rollback, and lock timeouts with retries. */
@ExtendWith(PostgresServer.class)
class PostgresFaultIT {

  @Test
  void aRollbackWhoseConnectionIsKilledMidRestoreResumesWithTheFingerprintIntact() throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(100).withLockTimeout(Duration.ofSeconds(60))
        .verifying("orders").build();
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) SELECT g, 'c' || g, g * 1.5, g % 17, 'n' || g"
        + " FROM generate_series(1, 2000) g");
    Fingerprint before;
    try (Connection c = ds.getConnection()) {
      before = Fingerprint.of(c, "orders");
    }
    m.migrateTo("2");

    // updating order 1500 waits for an advisory lock the test holds, so the restore stops in the
    // middle of the table with earlier batches committed
    MigrationsIT.sql(ds, "CREATE FUNCTION hold_1500() RETURNS trigger AS $$ BEGIN IF NEW.id = 1500 THEN"
        + " PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER hold BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION hold_1500()");
    try (Connection blocker = ds.getConnection()) {
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_lock(4242)").close();
      }
      int blockerPid = PgSessions.pid(blocker);
      CompletableFuture<RollbackSummary> rollback = CompletableFuture.supplyAsync(() -> m.rollbackTo("1"));
      await().atMost(Duration.ofSeconds(60)).until(() -> PgSessions.waitingOnLock(ds, "MERGE") && restoredSoFar(ds) > 0);

      int killed = PgSessions.terminateOthers(ds, blockerPid);
      assertThat(killed).isGreaterThanOrEqualTo(1);
      assertThatThrownBy(() -> rollback.get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(MigrationException.class).hasMessageContaining("Run the rollback again to resume");
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_unlock(4242)").close();
      }
    }
    MigrationsIT.sql(ds, "DROP TRIGGER hold ON orders");
    long partly = restoredSoFar(ds);
    assertThat(partly).isBetween(100L, 1999L);
    assertThat(m.currentVersion()).isEqualTo("1");

    RollbackSummary resumed = m.rollbackTo("1");

    assertThat(resumed.rowsRestored()).isEqualTo(2000 - partly);
    assertThat(resumed.verification()).isEqualTo("passed: orders");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders").matches(before)).isTrue();
    }
    assertThat(MigrationsIT.rows(ds, "SELECT \"outcome\" FROM \"rollback_archive\".\"audit\" ORDER BY \"id\""))
        .containsExactly("SUCCEEDED");
  }

  @Test
  void aStatementThatCannotGetItsLockIsRetriedWithBackoffThenFailsNamingIt() throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withLockTimeout(Duration.ofMillis(100))
        .withRetries(2, Duration.ofMillis(50)).build();
    m.migrateTo("1");
    try (Connection reader = ds.getConnection()) {
      // an open transaction that read the table holds ACCESS SHARE; DROP COLUMN needs ACCESS EXCLUSIVE
      reader.setAutoCommit(false);
      try (Statement st = reader.createStatement()) {
        st.executeQuery("SELECT count(*) FROM orders").close();
      }
      assertThatThrownBy(() -> m.migrateTo("2"))
          .isInstanceOf(MigrationException.class)
          .hasMessageContaining("gave up after 3 attempts (2 retries)")
          .hasMessageContaining("V2__drop_discount.sql:2")
          .hasMessageContaining("lock timeout");
      reader.commit();
    }
    assertThat(m.currentVersion()).isEqualTo("1");
    assertThat(MigrationsIT.columnExists(ds, "orders", "discount")).isTrue();
    assertThat(m.migrateTo("2").applied()).containsExactly("2");
  }

  @Test
  void aStatementOverItsStatementTimeoutIsRetriedThenReported() throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withStatementTimeout(Duration.ofMillis(200))
        .withRetries(1, Duration.ofMillis(10))
        .withJavaMigration(JavaMigration.builder("1.5", "slow backfill")
            .up(c -> {
              try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_sleep(5)");
              }
            })
            .down(c -> { })
            .build())
        .build();
    m.migrateTo("1");

    assertThatThrownBy(() -> m.migrateTo("1.5"))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("gave up after 2 attempts (1 retries)")
        .hasMessageContaining("statement timeout");
    assertThat(m.currentVersion()).isEqualTo("1");
  }

  @Test
  void theBackoffBetweenRetriesWaitsOnTheInjectedClock() throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    ManualClock clock = ManualClock.create();
    // a ten-minute backoff: on real time this test would take ten minutes
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withLockTimeout(Duration.ofMillis(100))
        .withRetries(1, Duration.ofMinutes(10)).withClock(clock).build();
    m.migrateTo("1");
    CompletableFuture<MigrationSummary> migrate;
    try (Connection reader = ds.getConnection()) {
      reader.setAutoCommit(false);
      try (Statement st = reader.createStatement()) {
        st.executeQuery("SELECT count(*) FROM orders").close();
      }
      migrate = CompletableFuture.supplyAsync(() -> m.migrateTo("2"));
      await().atMost(Duration.ofSeconds(30)).until(() -> clock.scheduledCount() == 1);
      assertThat(clock.nextDue()).contains(clock.instant().plus(Duration.ofMinutes(10)));
      assertThat(migrate).isNotDone();
      reader.commit();
    }
    clock.advance(Duration.ofMinutes(10));

    assertThat(migrate.get(30, TimeUnit.SECONDS).applied()).containsExactly("2");
    assertThat(MigrationsIT.columnExists(ds, "orders", "discount")).isFalse();
  }

  private static long restoredSoFar(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT (SELECT COALESCE(SUM(\"rows_restored\"), 0) FROM \"rollback_archive\".\"archive_index\")"
            + " + (SELECT COALESCE(SUM(\"rows_restored\"), 0) FROM \"rollback_archive\".\"restore_batches\")")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
