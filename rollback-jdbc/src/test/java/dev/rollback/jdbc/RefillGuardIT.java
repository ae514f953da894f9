package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.jdbc.internal.Archive;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.h2.api.Trigger;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 4: a dropped column re-added by the undo script is refilled from the archive in batches
 * after the undo script committed; a value the application writes into the re-added column in
 * between must survive, on H2 and PostgreSQL, with the column re-added without a default and
 * with a constant default.
 *
 * <p>The restore is stopped after its first batch (rows rb_seq 1..2) by a trigger that fails the
 * update of a row of the second batch; the application then writes the re-added column, and a second
 * rollback resumes the restore.
 */
@ExtendWith(PostgresServer.class)
class RefillGuardIT {
  private static final int ROWS = 10;

  @ParameterizedTest(name = "{0}, undo script {1}")
  @CsvSource({"h2, db/orders", "h2, db/refill-default", "postgres, db/orders", "postgres, db/refill-default"})
  void valuesTheApplicationWritesIntoTheReAddedColumnBeforeItsBatchSurviveTheRestore(String db, String scripts) throws Exception {
    DataSource ds = TestDatabases.create(db);
    // one restore connection: the test stops the restore at its second batch and expects nothing
    // after it restored, which two connections working on batches at once would not guarantee
    Migrations m = Migrations.builder(ds).fromClasspath(scripts).withBatchSize(2).withRestoreConnections(1).build();
    String left = scripts.endsWith("default") ? "0.00" : "null"; // what the undo script leaves in the re-added column
    m.migrateTo("1");
    insertOrders(ds);
    m.migrateTo("2");
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (11, 'new', 1.00, 'after the release')");
    Map<Integer, Integer> idAt = idsByRbSeq(ds);

    failUpdatesOf(ds, restoredIn(idAt, 3, left)); // the second batch, rb_seq 3..4
    assertThatThrownBy(() -> m.rollbackTo("1")).isInstanceOf(MigrationException.class)
        .hasMessageContaining("Run the rollback again to resume");
    stopFailing(ds);
    // the undo script committed and the first batch (rb_seq 1..2) is back; nothing after it
    assertThat(discount(ds, idAt.get(1))).isEqualTo(archived(idAt.get(1)));
    assertThat(discount(ds, idAt.get(5))).isEqualTo(left);

    // the application writes the re-added column: into rows whose batch has not run yet (one
    // archived NULL among them), into a row already restored, and into the row added after the release
    int nullRow = 3; // archived NULL
    Map<Integer, String> written = new HashMap<>();
    written.put(idAt.get(4), "40.40");
    written.put(idAt.get(7), "70.70");
    written.put(nullRow, "33.33");
    written.put(idAt.get(2), "20.20");
    written.put(11, "11.11");
    for (Map.Entry<Integer, String> w : written.entrySet()) {
      MigrationsIT.sql(ds, "UPDATE orders SET discount = " + w.getValue() + " WHERE id = " + w.getKey());
    }

    RollbackSummary resumed = m.rollbackTo("1");

    assertThat(resumed.undone()).isEmpty(); // the undo script ran in the first attempt; the resume only restored
    List<String> expected = new ArrayList<>();
    for (int id = 1; id <= ROWS + 1; id++) {
      String want = written.containsKey(id) ? written.get(id) : id == 11 ? left : archived(id);
      expected.add(id + "|" + want);
    }
    assertThat(MigrationsIT.rows(ds, "SELECT id, discount FROM orders ORDER BY id")).containsExactlyElementsOf(expected);
    assertThat(MigrationsIT.rows(ds, "SELECT \"outcome\", \"detail\" FROM \"rollback_archive\".\"audit\" ORDER BY \"id\""))
        .hasSize(2).last().isEqualTo("SUCCEEDED|");

    // a batch restored twice is harmless: running every range of the restore again writes nothing
    assertThat(restoreAgain(ds)).isZero();
    assertThat(MigrationsIT.rows(ds, "SELECT id, discount FROM orders ORDER BY id")).containsExactlyElementsOf(expected);
  }

  @ParameterizedTest(name = "{0}, undo script {1}")
  @CsvSource({"h2, db/orders", "h2, db/refill-default", "postgres, db/orders", "postgres, db/refill-default"})
  void withoutLaterWritesAnInterruptedAndResumedRestorePassesVerification(String db, String scripts) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath(scripts).withBatchSize(2).verifying("orders").build();
    m.migrateTo("1");
    insertOrders(ds);
    Fingerprint before = fingerprint(ds);
    m.migrateTo("2");
    Map<Integer, Integer> idAt = idsByRbSeq(ds);
    failUpdatesOf(ds, restoredIn(idAt, 5, scripts.endsWith("default") ? "0.00" : "null")); // the third batch
    assertThatThrownBy(() -> m.rollbackTo("1")).isInstanceOf(MigrationException.class);
    stopFailing(ds);

    RollbackSummary resumed = m.rollbackTo("1");

    assertThat(resumed.verification()).isEqualTo("passed: orders");
    assertThat(fingerprint(ds).matches(before)).isTrue();
    for (int id = 1; id <= ROWS; id++) assertThat(discount(ds, id)).as("order %d", id).isEqualTo(archived(id));
  }

  /**
   * Where the undo script's value cannot be compared (a default that is a function, an undo script
   * that fills the column in), the column is refilled as before, and a note says so in the log and
   * the audit row.
   */
  @ParameterizedTest(name = "{0}, undo script {1}")
  @CsvSource({"h2, db/refill-function, is not a constant", "h2, db/refill-backfill, the undo script left 0.00 in the row ID=",
      "postgres, db/refill-function, is not a constant", "postgres, db/refill-backfill, the undo script left 0.00 in the row id="})
  void aColumnWhoseUndoValueCannotBeComparedIsRefilledAsBeforeWithANote(String db, String scripts, String why) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath(scripts).withBatchSize(2).verifying("orders").build();
    m.migrateTo("1");
    insertOrders(ds);
    m.migrateTo("2");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.verification()).isEqualTo("passed: orders");
    for (int id = 1; id <= ROWS; id++) assertThat(discount(ds, id)).as("order %d", id).isEqualTo(archived(id));
    List<String> audit = MigrationsIT.rows(ds, "SELECT \"outcome\", \"detail\" FROM \"rollback_archive\".\"audit\"");
    assertThat(audit).hasSize(1);
    assertThat(audit.get(0)).startsWith("SUCCEEDED|the restore of V2__drop_discount.sql:2")
        .containsIgnoringCase("refills orders.discount in every archived row whose value differs").contains(why);
    assertThat(MigrationsIT.rows(ds, "SELECT \"refill_guard\" FROM \"rollback_archive\".\"archive_index\""))
        .singleElement().asString().startsWith("!").contains(why);
  }

  /**
   * Two columns in one archive (a Java migration declaring what it drops): each is guarded by its
   * own undo value, NULL for amount and the default 'n/a' for note, and a row's write into one of
   * them keeps that one while the other still comes back.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource({"h2", "postgres"})
  void twoReAddedColumnsInOneArchiveAreGuardedEachByItsOwnUndoValue(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(2)
        .withJavaMigration(JavaMigration.builder("1.5", "move amount and note out")
            .up(c -> {
              try (java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("ALTER TABLE orders DROP COLUMN amount");
                st.executeUpdate("ALTER TABLE orders DROP COLUMN note");
              }
            })
            .down(c -> {
              try (java.sql.Statement st = c.createStatement()) {
                st.executeUpdate("ALTER TABLE orders ADD COLUMN amount NUMERIC(10, 2)");
                st.executeUpdate("ALTER TABLE orders ADD COLUMN note VARCHAR(200) DEFAULT 'n/a'");
              }
            })
            .archiving("orders(amount, note)")
            .build())
        .build();
    m.migrateTo("1");
    insertOrders(ds);
    m.migrateTo("1.5");
    Map<Integer, Integer> idAt = idsByRbSeq(ds);
    failUpdatesOf(ds, idAt.get(3));
    assertThatThrownBy(() -> m.rollbackTo("1")).isInstanceOf(MigrationException.class);
    stopFailing(ds);
    int both = idAt.get(5);
    int amountOnly = idAt.get(6);
    int noteOnly = idAt.get(9);
    MigrationsIT.sql(ds, "UPDATE orders SET amount = 555.00, note = 'app 5' WHERE id = " + both,
        "UPDATE orders SET amount = 666.00 WHERE id = " + amountOnly,
        "UPDATE orders SET note = 'app 9' WHERE id = " + noteOnly);

    m.rollbackTo("1");

    List<String> expected = new ArrayList<>();
    for (int id = 1; id <= ROWS; id++) {
      String amount = id == both ? "555.00" : id == amountOnly ? "666.00" : (id * 10) + ".00";
      String note = id == both ? "app 5" : id == noteOnly ? "app 9" : "n" + id;
      expected.add(id + "|" + amount + "|" + note);
    }
    assertThat(MigrationsIT.rows(ds, "SELECT id, amount, note FROM orders ORDER BY id")).containsExactlyElementsOf(expected);
    assertThat(MigrationsIT.rows(ds, "SELECT \"refill_guard\" FROM \"rollback_archive\".\"archive_index\""))
        .singleElement().asString().startsWith("=NULL\u001f='n/a'"); // PostgreSQL adds ::character varying
    assertThat(restoreAgain(ds)).isZero();
  }

  // ------------------------------------------------------------------ helpers

  /** Order i's discount before the release: NULL for 3, 0 for 6 (the default of the re-added column), else i + 0.25. */
  private static String archived(int id) {
    return id == 3 ? "null" : id == 6 ? "0.00" : id + ".25";
  }

  private static void insertOrders(DataSource ds) throws Exception {
    List<String> values = new ArrayList<>();
    for (int id = 1; id <= ROWS; id++) {
      String d = archived(id);
      values.add("(" + id + ", 'c" + id + "', " + (id * 10) + ", " + (d.equals("null") ? "NULL" : d) + ", 'n" + id + "')");
    }
    MigrationsIT.sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) VALUES " + String.join(", ", values));
  }

  private static Map<Integer, Integer> idsByRbSeq(DataSource ds) throws Exception {
    String table = MigrationsIT.rows(ds, "SELECT \"archive_table\" FROM \"rollback_archive\".\"archive_index\"").get(0);
    Map<Integer, Integer> out = new HashMap<>();
    for (String row : MigrationsIT.rows(ds, "SELECT rb_seq, id FROM \"rollback_archive\".\"" + table + "\"")) {
      String[] p = row.split("\\|");
      out.put(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }
    assertThat(out).hasSize(ROWS);
    return out;
  }

  /** An order of the batch starting at {@code rbSeq} whose restore writes it (its archived value is not what the undo left). */
  private static int restoredIn(Map<Integer, Integer> idAt, int rbSeq, String left) {
    for (int seq = rbSeq; seq <= rbSeq + 1; seq++) if (!archived(idAt.get(seq)).equals(left)) return idAt.get(seq);
    throw new IllegalStateException("no row of the batch at rb_seq " + rbSeq + " is written by the restore: " + idAt);
  }

  private static String discount(DataSource ds, int id) throws Exception {
    return MigrationsIT.rows(ds, "SELECT discount FROM orders WHERE id = " + id).get(0);
  }

  private static boolean postgres(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres");
    }
  }

  /** Makes every update of order {@code id} fail, as a broken row would: the restore batch holding it rolls back. */
  private static void failUpdatesOf(DataSource ds, int id) throws Exception {
    if (postgres(ds)) {
      MigrationsIT.sql(ds, "CREATE FUNCTION fail_order() RETURNS trigger AS $$ BEGIN IF NEW.id = " + id
          + " THEN RAISE EXCEPTION 'order % refused by the test', NEW.id; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
          "CREATE TRIGGER fail_order BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION fail_order()");
    } else {
      MigrationsIT.sql(ds, "CREATE TRIGGER fail_order_" + id + " BEFORE UPDATE ON orders FOR EACH ROW CALL '"
          + FailOrder.class.getName() + "'");
    }
  }

  private static void stopFailing(DataSource ds) throws Exception {
    if (postgres(ds)) {
      MigrationsIT.sql(ds, "DROP TRIGGER fail_order ON orders", "DROP FUNCTION fail_order()");
    } else {
      for (String name : MigrationsIT.rows(ds, "SELECT TRIGGER_NAME FROM INFORMATION_SCHEMA.TRIGGERS WHERE TRIGGER_NAME LIKE 'FAIL_ORDER_%'")) {
        MigrationsIT.sql(ds, "DROP TRIGGER " + name);
      }
    }
  }

  /** Runs the restore SQL of the one archive over all its rows again; returns the rows it wrote. */
  private static int restoreAgain(DataSource ds) throws Exception {
    Archive archive = new Archive("rollback_archive");
    try (Connection c = ds.getConnection()) {
      Archive.Entry e = archive.all(c).get(0);
      try (PreparedStatement ps = c.prepareStatement(archive.restoreSql(c, e))) {
        ps.setLong(1, 0);
        ps.setLong(2, e.rows());
        return ps.executeUpdate();
      }
    }
  }

  private static Fingerprint fingerprint(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection()) {
      return Fingerprint.of(c, "orders");
    }
  }

  /** H2 trigger named FAIL_ORDER_&lt;id&gt;: fails every update of that order (id is the first column). */
  public static final class FailOrder implements Trigger {
    private int id;

    @Override
    public void init(Connection conn, String schemaName, String triggerName, String tableName, boolean before, int type) {
      id = Integer.parseInt(triggerName.substring(triggerName.lastIndexOf('_') + 1));
    }

    @Override
    public void fire(Connection conn, Object[] oldRow, Object[] newRow) throws SQLException {
      if (newRow != null && ((Number) newRow[0]).intValue() == id) throw new SQLException("order " + id + " refused by the test");
    }
  }
}
