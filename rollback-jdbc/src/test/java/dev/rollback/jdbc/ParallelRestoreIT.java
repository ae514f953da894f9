package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Restore batches on several connections: out-of-order commits, resume of exactly the missing ranges. */
@ExtendWith(PostgresServer.class)
class ParallelRestoreIT {
  private static final String BATCHES = "\"rollback_archive\".\"restore_batches\"";

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aRestoreOnFourConnectionsPutsEveryValueBackAndPassesVerification(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(100).withRestoreConnections(4)
        .verifying("orders").build();
    m.migrateTo("1");
    insertOrders(ds, 3000);
    Fingerprint before = fingerprint(ds);
    m.migrateTo("2");
    assertThat(m.dryRunRollbackTo("1").statements()).anySatisfy(s -> assertThat(s.origin()).contains("on 4 connections"));

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.rowsRestored()).isEqualTo(3000 - 3000 / 7); // every seventh discount is NULL, as the column is now
    assertThat(back.verification()).isEqualTo("passed: orders");
    assertThat(fingerprint(ds).matches(before)).isTrue();
    assertThat(MigrationsIT.rows(ds, "SELECT COUNT(*) FROM " + BATCHES)).containsExactly("0");
    assertThat(MigrationsIT.rows(ds, "SELECT \"phase\", \"restored_upto\", \"rows_restored\" FROM"
        + " \"rollback_archive\".\"archive_index\"")).containsExactly("RESTORED|3000|" + (3000 - 3000 / 7));
  }

  /**
   * A pool sized for the runner's own two connections (its lock and its work): the extra restore
   * connections never come (the pool blocks, or refuses), and the restore goes on with what it has
   * instead of failing or waiting for the pool's timeout.
   */
  @ParameterizedTest
  @ValueSource(strings = {"h2:blocks", "h2:refuses", "postgres:blocks", "postgres:refuses"})
  @org.junit.jupiter.api.Timeout(value = 60, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
  void aPoolWithNoConnectionToSpareDoesNotStopOrHoldTheRestore(String dbAndPool) throws Exception {
    String[] p = dbAndPool.split(":");
    DataSource ds = TestDatabases.create(p[0]);
    Migrations setup = Migrations.builder(ds).fromClasspath("db/orders").build();
    setup.migrateTo("1");
    insertOrders(ds, 3000);
    Fingerprint before = fingerprint(ds);
    setup.migrateTo("2");
    DataSource twoConnections = LimitedDataSource.of(ds, 2, p[1].equals("blocks"));
    Migrations m = Migrations.builder(twoConnections).fromClasspath("db/orders").withBatchSize(100).withRestoreConnections(3)
        .verifying("orders").build();

    long t0 = System.nanoTime();
    RollbackSummary back = m.rollbackTo("1");
    Duration took = Duration.ofNanos(System.nanoTime() - t0);

    assertThat(back.rowsRestored()).isEqualTo(3000 - 3000 / 7);
    assertThat(fingerprint(ds).matches(before)).isTrue();
    assertThat(took).as("a helper waiting for a connection must not hold the restore").isLessThan(Duration.ofSeconds(20));
  }

  @Test
  void batchesCommitOutOfOrderAndAResumeAfterAKillRedoesOnlyTheRangeThatDidNotCommit() throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(100).withRestoreConnections(3)
        .withLockTimeout(Duration.ofSeconds(60)).verifying("orders").build();
    m.migrateTo("1");
    insertOrders(ds, 2000);
    Fingerprint before = fingerprint(ds);
    m.migrateTo("2");
    String archive = MigrationsIT.rows(ds, "SELECT \"archive_table\" FROM \"rollback_archive\".\"archive_index\"").get(0);
    long blockedSeq = Long.parseLong(MigrationsIT.rows(ds, "SELECT rb_seq FROM \"rollback_archive\".\"" + archive + "\" WHERE id = 1500")
        .get(0));

    // updating order 1500 waits for an advisory lock the test holds: the connection restoring its
    // batch stops there while the other two restore every other batch, before and after it
    MigrationsIT.sql(ds, "CREATE FUNCTION hold_1500() RETURNS trigger AS $$ BEGIN IF NEW.id = 1500 THEN"
        + " PERFORM pg_advisory_xact_lock_shared(4242); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER hold BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION hold_1500()");
    try (Connection blocker = ds.getConnection()) {
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_lock(4242)").close();
      }
      CompletableFuture<RollbackSummary> rollback = CompletableFuture.supplyAsync(() -> m.rollbackTo("1"));
      await().atMost(Duration.ofSeconds(60)).until(() -> PgSessions.waitingOnLock(ds, "MERGE") && committedBatches(ds).size() == 19);

      assertThat(PgSessions.terminateOthers(ds, PgSessions.pid(blocker))).isGreaterThanOrEqualTo(2);
      assertThatThrownBy(() -> rollback.get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(MigrationException.class).hasMessageContaining("Run the rollback again to resume");
    }
    MigrationsIT.sql(ds, "DROP TRIGGER hold ON orders");
    List<long[]> committed = committedBatches(ds);
    assertThat(committed).noneSatisfy(r -> assertThat(blockedSeq).isGreaterThan(r[0]).isLessThanOrEqualTo(r[1]));
    assertThat(committed).anySatisfy(r -> assertThat(r[0]).isGreaterThanOrEqualTo(blockedSeq)); // committed after the gap
    long restoredBefore = Long.parseLong(MigrationsIT.rows(ds, "SELECT SUM(\"rows_restored\") FROM " + BATCHES).get(0));
    assertThat(m.dryRunRollbackTo("1").notes()).anySatisfy(n -> assertThat(n).contains("1900 of 2000 archived rows done"));

    RollbackSummary resumed = m.rollbackTo("1");

    // the one missing batch, rb_seq 1400..1500 (ids 1401 to 1500), holds 14 NULL discounts (1407, 1414, ..., 1498)
    assertThat(resumed.rowsRestored()).isEqualTo(100 - 14).isEqualTo(2000 - 2000 / 7 - restoredBefore);
    assertThat(resumed.verification()).isEqualTo("passed: orders");
    assertThat(fingerprint(ds).matches(before)).isTrue();
    assertThat(MigrationsIT.rows(ds, "SELECT \"rows_restored\" FROM \"rollback_archive\".\"audit\" WHERE \"outcome\" = 'SUCCEEDED'"))
        .containsExactly("86");
  }

  private static void insertOrders(DataSource ds, int n) throws Exception {
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) SELECT g, 'c' || g, g * 1.5,"
        + " CASE WHEN MOD(g, 7) = 0 THEN NULL ELSE MOD(g, 17) END, 'n' || g FROM " + series(ds, n));
  }

  private static String series(DataSource ds, int n) throws Exception {
    try (Connection c = ds.getConnection()) {
      return c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres")
          ? "generate_series(1, " + n + ") g" : "SYSTEM_RANGE(1, " + n + ") t(g)";
    }
  }

  private static Fingerprint fingerprint(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection()) {
      return Fingerprint.of(c, "orders");
    }
  }

  private static List<long[]> committedBatches(DataSource ds) throws Exception {
    List<long[]> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT \"seq_from\", \"seq_to\" FROM " + BATCHES + " ORDER BY \"seq_from\"")) {
      while (rs.next()) out.add(new long[] {rs.getLong(1), rs.getLong(2)});
    }
    return out;
  }
}
