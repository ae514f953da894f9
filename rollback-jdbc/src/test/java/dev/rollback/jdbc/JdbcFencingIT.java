package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.guard.LeaseGrant;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Fencing in PostgreSQL: a rollback step running under a {@link JdbcLease} of the same database
 * checks the lease row in every transaction before it commits, so a holder whose lease is taken
 * over in the middle of the restore commits nothing afterwards, and the replica holding the lease
 * now finishes the rollback.
 */
@ExtendWith(PostgresServer.class)
class JdbcFencingIT {
  private static final String LEASE = "rollback-guard-orders@2";
  private static final Deployment DEPLOYMENT = Deployment.of("orders", "2");

  @Test
  void aHolderWhoseLeaseIsTakenOverMidRestoreCommitsNothingAfterwards() throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(100).withRestoreConnections(1)
        .withLockTimeout(Duration.ofSeconds(60)).verifying("orders").build();
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) SELECT g, 'c' || g, g * 1.5, g % 17, 'n' || g"
        + " FROM generate_series(1, 2000) g");
    m.migrateTo("2");
    // updating order 1500 waits for an advisory lock the test holds: the restore stops mid-table, earlier batches committed
    MigrationsIT.sql(ds, "CREATE FUNCTION hold_1500() RETURNS trigger AS $$ BEGIN IF NEW.id = 1500 THEN"
        + " PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER hold BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION hold_1500()");
    Duration ttl = Duration.ofSeconds(30);
    JdbcLease lease = JdbcLease.of(ds);
    LeaseGrant mine = lease.tryAcquire(LEASE, "pod-1", ttl).orElseThrow();
    RollbackPlan plan = RollbackPlan.builder("orders").step(m.rollbackStep("1")).build();

    try (RollbackEngine engine = RollbackEngine.builder().build(); Connection blocker = ds.getConnection()) {
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_lock(4242)").close();
      }
      RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withReason("pod-1").withLease(lease, mine, ttl));
      await().atMost(Duration.ofSeconds(60)).until(() -> PgSessions.waitingOnLock(ds, "MERGE") && restoredSoFar(ds) > 0);
      long atTakeover = restoredSoFar(ds);

      // pod-2, whose clock runs past pod-1's expiry, takes the lease over in the same table
      LeaseGrant theirs = JdbcLease.of(ds).withClock(Clock.offset(Clock.systemUTC(), ttl.plusSeconds(1)))
          .tryAcquire(LEASE, "pod-2", ttl).orElseThrow();
      assertThat(theirs.fencingToken()).isEqualTo(2);
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_unlock(4242)").close(); // pod-1's batch goes on to its commit
      }
      RollbackResult r = run.await(Duration.ofSeconds(60));

      assertThat(r.outcome()).as(r.summary()).isEqualTo(RunOutcome.CANCELLED);
      assertThat(r.summary()).contains("shows fencing token 2 held by pod-2");
      assertThat(r.steps().values()).singleElement().isInstanceOf(StepOutcome.Cancelled.class);
      assertThat(restoredSoFar(ds)).as("rows restored after the takeover").isEqualTo(atTakeover);
      assertThat(MigrationsIT.rows(ds, "SELECT \"outcome\" FROM \"rollback_archive\".\"audit\"")).as("no audit row by pod-1").isEmpty();
    }
    MigrationsIT.sql(ds, "DROP TRIGGER hold ON orders");

    // pod-2 resumes the rollback under its own grant and finishes it
    RollbackSummary finished = m.rollbackTo("1");
    assertThat(finished.verification()).isEqualTo("passed: orders");
    assertThat(MigrationsIT.rows(ds, "SELECT count(*) FROM orders WHERE discount IS NOT NULL")).containsExactly("2000");
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
