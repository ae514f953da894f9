package dev.rollback.jdbc;

import static dev.rollback.jdbc.MigrationsIT.col;
import static dev.rollback.jdbc.MigrationsIT.rows;
import static dev.rollback.jdbc.MigrationsIT.sql;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import java.time.Duration;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code verifying(table)} compares what the rollback restored, on H2 and a real PostgreSQL: the
 * application's writes during the release pass, a restored value that is not what the table held
 * before is a failed verification with the evidence, and the committed rollback stays committed.
 */
@ExtendWith(PostgresServer.class)
class VerificationIT {

  private static Migrations migrations(DataSource ds) {
    return Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(2).verifying("orders").build();
  }

  /** The verification snapshots left in the archive schema. */
  private static List<String> snapshots(DataSource ds) throws Exception {
    List<String> out = new java.util.ArrayList<>();
    try (java.sql.Connection c = ds.getConnection(); java.sql.ResultSet rs = c.getMetaData().getTables(null, "rollback_archive", "vs%", null)) {
      while (rs.next()) out.add(rs.getString("TABLE_NAME"));
    }
    return out;
  }

  private static void fiveOrders(DataSource ds) throws Exception {
    sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) VALUES (1, 'ann', 20.00, 2.50, 'a'),"
        + " (2, 'bob', 5.00, 1.00, 'b'), (3, 'cid', 30.00, 3.00, 'c'), (4, 'test', 7.00, 0.50, 'd'), (5, 'eve', 50.00, NULL, 'e')");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void theApplicationsWritesDuringTheReleaseDoNotFailACorrectRollback(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = migrations(ds);
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("3"); // drops discount; clears the notes of small orders, deletes the test orders
    assertThat(snapshots(ds)).hasSize(2); // before V2 and before V3 (orders did not exist before V1)
    // the new version serves: new orders, an update of a pre-existing order (a column the migrations
    // rewrote included), a deleted order
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (6, 'fay', 60.00, 'new'), (7, 'gus', 70.00, 'new')",
        "UPDATE orders SET amount = 21.00, note = 'changed by 3' WHERE id = 1",
        "UPDATE orders SET note = 'written after V3' WHERE id = 2",
        "DELETE FROM orders WHERE id = 3");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.verified()).as(back.verification()).isTrue();
    assertThat(back.verification()).isEqualTo("passed: orders");
    assertThat(back.mismatches()).isEmpty();
    assertThat(rows(ds, "SELECT id, customer, amount, discount, note FROM orders ORDER BY id")).containsExactly(
        "1|ann|21.00|2.50|changed by 3", "2|bob|5.00|1.00|written after V3", "4|test|7.00|0.50|d", "5|eve|50.00|null|e",
        "6|fay|60.00|null|new", "7|gus|70.00|null|new");
    assertThat(rows(ds, "SELECT \"outcome\", \"verification\" FROM \"rollback_archive\".\"audit\""))
        .containsExactly("SUCCEEDED|passed: orders");
    // the snapshots of V2 and V3 are dropped with their verification; V1's stays until V1 is undone
    assertThat(rows(ds, "SELECT \"version\", \"snapshot_table\" FROM \"rollback_archive\".\"fingerprints\""))
        .containsExactly("1|null");
    assertThat(snapshots(ds)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aRestoredValueThatIsNotWhatTheTableHeldIsAFailedVerificationAndTheRollbackStaysCommitted(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = migrations(ds);
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("2");
    sql(ds, "INSERT INTO orders (id, customer, amount) VALUES (6, 'fay', 60.00)"); // a later write: not a mismatch
    // the archive is corrupted: the rollback restores a wrong discount for order 2
    sql(ds, "UPDATE \"rollback_archive\".\"a1\" SET " + col(db, "discount") + " = 9.99 WHERE " + col(db, "id") + " = 2");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.verified()).isFalse();
    assertThat(back.mismatches()).containsExactly(new RollbackSummary.Mismatch("orders", "discount", "id=2", "1.00", "9.99"));
    assertThat(back.verification()).startsWith("failed: after undoing V2, orders.discount: 1 row differs from before the change (id=2)");
    assertThat(back.undone()).containsExactly("2");
    assertThat(m.currentVersion()).as("the rollback is committed").isEqualTo("1");
    assertThat(rows(ds, "SELECT id, discount FROM orders ORDER BY id"))
        .containsExactly("1|2.50", "2|9.99", "3|3.00", "4|0.50", "5|null", "6|null");
    assertThat(rows(ds, "SELECT \"outcome\", \"verification\" FROM \"rollback_archive\".\"audit\""))
        .singleElement().asString().startsWith("NOT_VERIFIED|failed: after undoing V2, orders.discount");
    Health h = m.verification().check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("the rollback from 2 to 1").contains("is committed, but its verification failed")
        .contains("orders.discount").contains("id=2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDeletedRowPutBackWithAWrongValueNamesItsColumnAndKey(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = migrations(ds);
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("3"); // deletes the test order 4
    List<String> archives = rows(ds, "SELECT \"archive_table\" FROM \"rollback_archive\".\"archive_index\" WHERE \"kind\" = 'DELETE'");
    assertThat(archives).hasSize(1);
    sql(ds, "UPDATE \"rollback_archive\".\"" + archives.get(0) + "\" SET " + col(db, "customer") + " = 'mallory'");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.verified()).isFalse();
    assertThat(back.mismatches()).containsExactly(new RollbackSummary.Mismatch("orders", "customer", "id=4", "test", "mallory"));
    assertThat(back.verification()).contains("after undoing V3, orders.customer: 1 row differs from before the change (id=4)")
        .doesNotContain("V2");
    assertThat(m.currentVersion()).isEqualTo("1");
  }

  @org.junit.jupiter.api.Test
  void aRowTheRestoreSilentlyDroppedIsReportedMissing() throws Exception {
    DataSource ds = TestDatabases.create("postgres");
    Migrations m = migrations(ds);
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("3"); // deletes the test order 4
    // a trigger swallows the re-insert of order 4: the restore runs, the row does not come back
    sql(ds, "CREATE FUNCTION swallow_order_4() RETURNS trigger AS $$ BEGIN IF NEW.id = 4 THEN RETURN NULL; END IF;"
            + " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER swallow BEFORE INSERT ON orders FOR EACH ROW EXECUTE FUNCTION swallow_order_4()");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.verified()).isFalse();
    assertThat(back.mismatches()).containsExactly(new RollbackSummary.Mismatch("orders", "(row)", "id=4", "present", "missing"));
    assertThat(back.verification())
        .isEqualTo("failed: after undoing V3, orders: 1 row is missing that the rollback should have put back (id=4)");
    assertThat(m.currentVersion()).isEqualTo("1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void inAPlanAFailedVerificationEndsTheRunNotRecoveredWithTheEvidence(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = migrations(ds);
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("2");
    sql(ds, "UPDATE \"rollback_archive\".\"a1\" SET " + col(db, "discount") + " = 9.99 WHERE " + col(db, "id") + " = 2");
    RollbackPlan plan = RollbackPlan.builder("checkout-2")
        .sequential("database", s -> s.step(m.rollbackStep("1")))
        .verifiedBy(m.verification())
        .build();

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      result = engine.start(plan, Deployment.of("checkout", "2"), RunOptions.defaults()).await(Duration.ofSeconds(60));
    }

    assertThat(result.outcome()).isEqualTo(RunOutcome.NOT_RECOVERED);
    assertThat(result.verification()).singleElement().satisfies(h -> {
      assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
      assertThat(h.detail()).contains("orders.discount").contains("id=2").contains("is committed");
    });
    assertThat(m.currentVersion()).as("the rollback is committed").isEqualTo("1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void inAPlanAVerifiedRollbackWithLaterWritesIsRecovered(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = migrations(ds);
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("2");
    sql(ds, "INSERT INTO orders (id, customer, amount) VALUES (6, 'fay', 60.00)", "UPDATE orders SET amount = 1.00 WHERE id = 5");
    RollbackPlan plan = RollbackPlan.builder("checkout-2")
        .sequential("database", s -> s.step(m.rollbackStep("1")))
        .verifiedBy(m.verification())
        .build();

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(JdbcJournal.of(ds)).build()) {
      result = engine.start(plan, Deployment.of("checkout", "2"), RunOptions.defaults()).await(Duration.ofSeconds(60));
    }

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.verification()).singleElement().satisfies(h -> assertThat(h.detail()).contains("passed: orders"));
  }
}
