package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.RunHistory;
import dev.rollback.test.RollbackAssertions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fault injection on the real PostgreSQL: the backend restoring the data is killed with
 * {@code pg_terminate_backend} from a second connection in the middle of a rollback run. The run
 * is journaled in the same database ({@link JdbcJournal}); the kill reaches only the restoring session.
 */
@ExtendWith(PostgresServer.class)
class MigrationRollbackFaultIT {
  private static final Duration HANG_GUARD = Duration.ofMinutes(2);
  private static final Deployment DEPLOYMENT = Deployment.of("orders", "2");

  private DataSource ds;
  private Migrations migrations;
  private Fingerprint before;

  private void migratedWithDataAndARestoreThatStopsAtOrder1500() throws Exception {
    ds = PostgresServer.newDatabase();
    migrations = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(100).withLockTimeout(Duration.ofSeconds(60))
        .build();
    migrations.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) SELECT g, 'c' || g, g * 1.5, g % 17, 'n' || g"
        + " FROM generate_series(1, 2000) g");
    try (Connection c = ds.getConnection()) {
      before = Fingerprint.of(c, "orders");
    }
    migrations.migrateTo("2");
    // restoring order 1500 waits for an advisory lock the test holds, so the restore stops in the
    // middle of the table with earlier batches committed
    MigrationsIT.sql(ds, "CREATE FUNCTION hold_1500() RETURNS trigger AS $$ BEGIN IF NEW.id = 1500 THEN"
        + " PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER hold BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION hold_1500()");
  }

  private RollbackPlan plan(Retry retry) {
    return RollbackPlan.builder("orders-2")
        .sequential("database", s -> s.step(migrations.rollbackStep("1").toBuilder().withRetry(retry).build()))
        .build();
  }

  @Test
  void aKilledBackendMidRestoreHaltsAtAGateNamingTheErrorAndResumeFinishesWithNothingLost() throws Exception {
    migratedWithDataAndARestoreThatStopsAtOrder1500();
    RollbackPlan plan = plan(Retry.none());
    JdbcJournal journal = JdbcJournal.of(ds);
    String runId;
    try (Connection blocker = ds.getConnection(); RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      lock(blocker, true);
      RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withReason("fault test"));
      runId = run.runId();
      await().atMost(HANG_GUARD).until(() -> PgSessions.waitingOnLock(ds, "MERGE") && restoredSoFar() > 0);

      assertThat(terminateTheRestoringBackend()).isEqualTo(1);

      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.stepPath()).isEqualTo("database/roll back database to 1");
      assertThat(gate.options()).contains(Decision.RETRY, Decision.HALT);
      run.answer(gate.id(), Decision.HALT, "dba");
      RollbackResult halted = run.await(HANG_GUARD);
      assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
      assertThat(halted.summary()).contains("roll back database to 1");
      assertThat(String.valueOf(halted.step("database/roll back database to 1")))
          .containsIgnoringCase("terminat");
      lock(blocker, false);
    }
    MigrationsIT.sql(ds, "DROP TRIGGER hold ON orders");
    long partly = restoredSoFar();
    assertThat(partly).isBetween(100L, 1999L);
    // nothing lost: every order is still there, and the archive still holds what is not restored yet
    assertThat(MigrationsIT.rows(ds, "SELECT count(*) FROM orders")).containsExactly("2000");
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      RollbackRun resumed = engine.resume(runId, plan);
      GateRequest again = resumed.awaitGate(HANG_GUARD);
      assertThat(again.id()).endsWith("#2");
      resumed.answer(again.id(), Decision.RETRY, "dba");
      RollbackResult result = resumed.await(HANG_GUARD);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(migrations.currentVersion()).isEqualTo("1");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders").matches(before)).isTrue();
    }
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);
    RunHistory history = RunHistory.of(journal.read(runId));
    assertThat(history.outcome()).contains("RECOVERED");
    assertThat(history.resumes()).hasSize(1);
  }

  @Test
  void aKilledBackendMidRestoreIsRetriedInTheSameRunWhichRecovers() throws Exception {
    migratedWithDataAndARestoreThatStopsAtOrder1500();
    RollbackPlan plan = plan(Retry.times(2));
    JdbcJournal journal = JdbcJournal.of(ds);
    RollbackResult result;
    try (Connection blocker = ds.getConnection(); RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      lock(blocker, true);
      RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withReason("fault test"));
      await().atMost(HANG_GUARD).until(() -> PgSessions.waitingOnLock(ds, "MERGE") && restoredSoFar() > 0);

      assertThat(terminateTheRestoringBackend()).isEqualTo(1);
      // the retry waits on the same lock again; let it through
      await().atMost(HANG_GUARD).until(() -> PgSessions.waitingOnLock(ds, "MERGE"));
      lock(blocker, false);
      result = run.await(HANG_GUARD);
    }

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    RunHistory history = RunHistory.of(journal.read(result.runId()));
    assertThat(history.stepHistory("database/roll back database to 1").attempts()).isEqualTo(2);
    RollbackAssertions.assertThat(journal).hasIntactRun(result.runId());
    assertThat(migrations.currentVersion()).isEqualTo("1");
    MigrationsIT.sql(ds, "DROP TRIGGER hold ON orders");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders").matches(before)).isTrue();
    }
  }

  private static void lock(Connection c, boolean lock) throws Exception {
    try (Statement st = c.createStatement()) {
      st.executeQuery(lock ? "SELECT pg_advisory_lock(4242)" : "SELECT pg_advisory_unlock(4242)").close();
    }
  }

  /** Kills the session whose MERGE waits on the test's lock: the restore's, not the journal's. */
  private int terminateTheRestoringBackend() throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND wait_event_type = 'Lock' AND query LIKE 'MERGE%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private long restoredSoFar() throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT (SELECT COALESCE(SUM(\"rows_restored\"), 0) FROM \"rollback_archive\".\"archive_index\")"
            + " + (SELECT COALESCE(SUM(\"rows_restored\"), 0) FROM \"rollback_archive\".\"restore_batches\")")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
