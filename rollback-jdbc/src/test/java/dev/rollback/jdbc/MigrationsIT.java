package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.engine.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Migrations and data-preserving rollbacks, on H2 and on a real PostgreSQL 15. */
@ExtendWith(PostgresServer.class)
class MigrationsIT {

  private static Migrations orders(DataSource ds) {
    return Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(2).build();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void rollingBackADroppedColumnRestoresItsValuesAndKeepsLaterWrites(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds);
    m.migrateTo("1");
    sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) VALUES (1, 'ann', 20.00, 2.50, 'a'),"
        + " (2, 'bob', 30.00, NULL, 'b'), (3, 'cid', 40.00, 4.00, 'c'), (4, 'dan', 50.00, 5.00, 'd'), (5, 'eve', 60.00, 6.00, 'e')");

    MigrationSummary up = m.migrateTo("2", "shop@2.0");
    assertThat(up.applied()).containsExactly("2");
    assertThat(up.rowsArchived()).isEqualTo(5);
    // the application writes after the release: a new order, a changed customer, a deleted order
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (6, 'fay', 70.00, 'f')",
        "UPDATE orders SET customer = 'bea' WHERE id = 2", "DELETE FROM orders WHERE id = 4");

    RollbackSummary back = m.rollbackTo("1", "shop@2.0");

    assertThat(back.undone()).containsExactly("2");
    assertThat(back.rowsRestored()).isEqualTo(3); // bob's discount was NULL: nothing to write back
    assertThat(rows(ds, "SELECT id, customer, discount FROM orders ORDER BY id")).containsExactly(
        "1|ann|2.50", "2|bea|null", "3|cid|4.00", "5|eve|6.00", "6|fay|null");
    assertThat(m.currentVersion()).isEqualTo("1");
    assertThat(rows(ds, "SELECT \"deployment\", \"from_version\", \"to_version\", \"rows_restored\", \"outcome\" FROM"
        + " \"rollback_archive\".\"audit\"")).containsExactly("shop@2.0|2|1|3|SUCCEEDED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void rollingBackUpdatesAndDeletesRestoresOnlyRowsTheApplicationLeftAlone(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds);
    m.migrateTo("2");
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (1, 'ann', 5.00, 'keep me'), (2, 'bob', 6.00, 'mine'),"
        + " (3, 'test', 50.00, 'test row'), (4, 'cid', 70.00, 'big'), (5, 'test', 1.00, 'tiny test')");
    m.migrateTo("3");
    assertThat(rows(ds, "SELECT id, note FROM orders ORDER BY id")).containsExactly("1|cleared", "2|cleared", "4|big");
    // after the release the application edits row 2's note and re-creates order 3 itself
    sql(ds, "UPDATE orders SET note = 'edited later' WHERE id = 2",
        "INSERT INTO orders (id, customer, amount, note) VALUES (3, 'test', 55.00, 'recreated by the app')");

    m.rollbackTo("2");

    assertThat(rows(ds, "SELECT id, customer, amount, note FROM orders ORDER BY id")).containsExactly(
        "1|ann|5.00|keep me", "2|bob|6.00|edited later", "3|test|55.00|recreated by the app", "4|cid|70.00|big",
        "5|test|1.00|tiny test");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void upToTheLastVersionAndDownAgainRestoresEveryTableFingerprint(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(3).verifying("orders").build();
    m.migrateTo("1");
    insertMixedOrders(ds, 40);
    Fingerprint before;
    try (Connection c = ds.getConnection()) {
      before = Fingerprint.of(c, "orders");
    }

    m.migrateTo("5");
    assertThat(tableExists(ds, "orders")).isFalse();
    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.undone()).containsExactly("5", "4", "3", "2");
    assertThat(back.verification()).isEqualTo("passed: orders");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders").matches(before)).isTrue();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aTamperedArchiveFailsVerificationNamingTheTableColumnAndKeyWithoutUndoingTheRollback(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").verifying("orders").build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO orders (id, customer, amount, discount) VALUES (1, 'ann', 1.00, 1.00), (2, 'bob', 2.00, 2.00)");
    m.migrateTo("2");
    sql(ds, "UPDATE \"rollback_archive\".\"a1\" SET " + col(db, "discount") + " = 9.99 WHERE " + col(db, "id") + " = 2");

    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.verified()).isFalse();
    assertThat(back.verification()).contains("orders.discount: 1 row differs from before the change (id=2)");
    assertThat(back.mismatches()).singleElement().satisfies(x -> assertThat(x.summary())
        .isEqualTo("orders.discount at id=2: before the change 2.00, after the rollback 9.99"));
    assertThat(m.currentVersion()).isEqualTo("1");
    assertThat(rows(ds, "SELECT \"outcome\", \"verification\" FROM \"rollback_archive\".\"audit\""))
        .singleElement().asString().startsWith("NOT_VERIFIED|failed: after undoing V2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aNarrowingTypeChangeIsRolledBackWithTheOriginalValues(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds);
    m.migrateTo("3");
    sql(ds, "INSERT INTO orders (id, customer, amount) VALUES (1, 'ann', 12.34), (2, 'bob', 99.99), (3, 'cid', 7.00)");
    m.migrateTo("4");
    assertThat(rows(ds, "SELECT amount FROM orders ORDER BY id")).containsExactly("12", "100", "7");
    sql(ds, "UPDATE orders SET amount = 55 WHERE id = 2"); // written by the application after the change: kept

    m.rollbackTo("3");

    assertThat(rows(ds, "SELECT id, amount FROM orders ORDER BY id")).containsExactly("1|12.34", "2|55.00", "3|7.00");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDroppedTableComesBackWithItsRows(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds);
    m.migrateTo("4");
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (1, 'ann', 12, 'x'), (2, 'bob', 13, NULL), (3, 'cid', 14, 'z')");
    m.migrateTo("5");
    assertThat(tableExists(ds, "orders")).isFalse();

    RollbackSummary back = m.rollbackBy(1);

    assertThat(back.toVersion()).isEqualTo("4");
    assertThat(rows(ds, "SELECT id, customer, amount, note FROM orders ORDER BY id")).containsExactly(
        "1|ann|12|x", "2|bob|13|null", "3|cid|14|z");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDryRunShowsTheExactSqlInOrderAndChangesNothing(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds);
    m.migrateTo("1");
    sql(ds, "INSERT INTO orders (id, customer, amount, discount) VALUES (1, 'ann', 1.00, 1.00)");
    m.migrateTo("3");

    SqlPlan plan = m.dryRunRollbackTo("1");

    List<String> sql = plan.statements().stream().map(PlannedStatement::sql).toList();
    assertThat(sql.get(0)).isEqualTo("DELETE FROM \"rollback_schema_history\" WHERE \"installed_rank\" = 3");
    assertThat(sql.get(1)).startsWith("MERGE INTO").contains("\"rollback_archive\".\"a2\"");
    assertThat(sql.get(2)).isEqualTo("ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2)");
    assertThat(sql.get(3)).isEqualTo("DELETE FROM \"rollback_schema_history\" WHERE \"installed_rank\" = 2");
    assertThat(sql.get(4)).startsWith("-- restore 1 rows from rollback_archive.a1 into orders");
    assertThat(plan.statements().get(2).origin()).isEqualTo("U2__drop_discount.sql:1");
    assertThat(plan.toString()).contains("roll back from 3 to 1");
    assertThat(m.currentVersion()).isEqualTo("3");
    assertThat(m.dryRunMigrateTo("5").statements()).extracting(PlannedStatement::sql)
        .contains("-- archive into rollback_archive first: changes the type of orders(amount)",
            "ALTER TABLE orders ALTER COLUMN amount TYPE NUMERIC(10, 0)",
            "-- archive into rollback_archive first: drops table orders", "DROP TABLE orders");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aMissingArchiveStopsTheRollbackBeforeAnythingChanges(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds);
    m.migrateTo("1");
    sql(ds, "INSERT INTO orders (id, customer, discount) VALUES (1, 'ann', 1.00)");
    m.migrateTo("2");
    sql(ds, "DROP TABLE \"rollback_archive\".\"a1\"");

    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MissingArchiveException.class)
        .hasMessageContaining("V2 V2__drop_discount.sql:2 drops orders(discount)")
        .hasMessageContaining("rollback_archive.a1 is gone")
        .hasMessageContaining("Nothing was changed");
    assertThat(m.currentVersion()).isEqualTo("2");
    assertThat(columnExists(ds, "orders", "discount")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void archiveRetentionDropsOldArchivesAndARollbackThenStopsForAHuman(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders").withArchiveRetention(Duration.ofDays(7)).withClock(clock).build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO orders (id, customer, discount) VALUES (1, 'ann', 1.00)");
    m.migrateTo("2");
    assertThat(m.cleanArchive()).isZero();

    clock.advance(Duration.ofDays(8));
    assertThat(m.cleanArchive()).isEqualTo(1);

    assertThat(tableExists(ds, "rollback_archive", "a1")).isFalse();
    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MissingArchiveException.class)
        .hasMessageContaining("expired by retention");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aChangedScriptOfAnAppliedMigrationIsRefusedUnlessOverridden(String db, @TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10));\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__u.sql"), "ALTER TABLE t ADD COLUMN w INT;\n");
    Files.writeString(dir.resolve("U2__u.sql"), "ALTER TABLE t DROP COLUMN w;\n");
    Migrations.builder(ds).fromFolder(dir).build().migrateTo("2");
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20));\n");

    Migrations edited = Migrations.builder(ds).fromFolder(dir).build();
    assertThatThrownBy(() -> edited.rollbackTo("1"))
        .isInstanceOf(ChecksumMismatchException.class)
        .hasMessageContaining("V1 (V1__t.sql) changed since it was applied")
        .hasMessageContaining("allowingChecksumMismatch()");
    assertThat(edited.currentVersion()).isEqualTo("2");

    assertThat(Migrations.builder(ds).fromFolder(dir).allowingChecksumMismatch().build().rollbackTo("1").undone()).containsExactly("2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aPlanThatWouldReverseAnIrreversibleMigrationFailsNamingIt(String db, @TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__seed.sql"), "-- rollback:irreversible\nINSERT INTO t VALUES (1);\n");
    Files.writeString(dir.resolve("V3__more.sql"), "INSERT INTO t VALUES (2);\n");
    Files.writeString(dir.resolve("U3__more.sql"), "DELETE FROM t WHERE id = 2;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).build();
    m.migrateTo("3");

    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MigrationException.class)
        .hasMessageContaining("V2 (V2__seed.sql) is irreversible")
        .hasMessageContaining("Nothing was changed");
    assertThat(m.currentVersion()).isEqualTo("3");
    assertThat(m.rollbackTo("2").undone()).containsExactly("3");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aJavaMigrationArchivesWhatItDeclaresAndIsRolledBack(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = Migrations.builder(ds).fromClasspath("db/orders")
        .withJavaMigration(JavaMigration.builder("4.5", "anonymize notes")
            .up(c -> {
              try (Statement st = c.createStatement()) {
                st.executeUpdate("UPDATE orders SET note = 'xxx'");
              }
            })
            .down(c -> { })
            .archiving("orders(note)")
            .build())
        .build();
    assertThat(m.migrations()).extracting(Migration::version).containsExactly("1", "2", "3", "4", "4.5", "5");
    m.migrateTo("4");
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (1, 'ann', 1, 'secret'), (2, 'bob', 2, 'private')");
    m.migrateTo("4.5");
    assertThat(rows(ds, "SELECT note FROM orders ORDER BY id")).containsExactly("xxx", "xxx");

    m.rollbackTo("4");

    assertThat(rows(ds, "SELECT id, note FROM orders ORDER BY id")).containsExactly("1|secret", "2|private");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aFingerprintOverChosenColumnsIgnoresTheOthersAndIsOrderIndependent(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    orders(ds).migrateTo("1");
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (1, 'ann', 1.00, 'a'), (2, 'bob', 2.00, 'b')");
    Fingerprint all;
    Fingerprint chosen;
    try (Connection c = ds.getConnection()) {
      all = Fingerprint.of(c, "orders");
      chosen = Fingerprint.of(c, "orders", "id", "customer");
    }
    sql(ds, "UPDATE orders SET note = 'changed' WHERE id = 2");
    // same rows inserted in the other order into a second table give the same checksum
    sql(ds, "CREATE TABLE orders_copy (id INT PRIMARY KEY, customer VARCHAR(100) NOT NULL, amount NUMERIC(10, 2),"
        + " discount NUMERIC(10, 2), note VARCHAR(200))",
        "INSERT INTO orders_copy (id, customer, amount, note) VALUES (2, 'bob', 2.00, 'b'), (1, 'ann', 1.00, 'a')");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders", "id", "customer").matches(chosen)).isTrue();
      assertThat(Fingerprint.of(c, "orders").matches(all)).isFalse();
      assertThat(Fingerprint.of(c, "orders_copy").checksum()).isEqualTo(all.checksum());
      Fingerprint decoded = Fingerprint.decode("orders", List.of(), all.encode());
      assertThat(decoded).isEqualTo(all);
      assertThat(Fingerprint.of(c, "no_such_table").exists()).isFalse();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void anUnderscoreInATableNameIsNotAWildcardWhenFindingTheTableToArchive(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    sql(ds, "CREATE TABLE orderXitems (id INT PRIMARY KEY, v INT)");
    assertThat(tableExists(ds, "order_items")).isFalse();
    sql(ds, "CREATE TABLE order_items (id INT PRIMARY KEY, w INT)");
    assertThat(columnExists(ds, "order_items", "w")).isTrue();
    assertThat(columnExists(ds, "order_items", "v")).isFalse();
  }

  // ------------------------------------------------------------------ helpers

  static String col(String db, String name) {
    return db.equals("h2") ? name.toUpperCase() : name;
  }

  /**
   * Orders 1..{@code n} in the shape of {@code db/orders} V1 with NULLs mixed in: every third
   * discount, every fifth note; every seventh customer is "test".
   */
  static void insertMixedOrders(DataSource ds, int n) throws SQLException {
    StringBuilder insert = new StringBuilder("INSERT INTO orders (id, customer, amount, discount, note) VALUES ");
    for (int i = 1; i <= n; i++) {
      if (i > 1) insert.append(", ");
      insert.append("(").append(i).append(", '").append(i % 7 == 0 ? "test" : "c" + i).append("', ").append(i * 1.25)
          .append(", ").append(i % 3 == 0 ? "NULL" : String.valueOf(i * 0.5)).append(", ").append(i % 5 == 0 ? "NULL" : "'n" + i + "'")
          .append(")");
    }
    sql(ds, insert.toString());
  }

  static void sql(DataSource ds, String... statements) throws SQLException {
    PostgresServer.execute(ds, statements);
  }

  static List<String> rows(DataSource ds, String query) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          if (i > 1) sb.append('|');
          sb.append(rs.getString(i));
        }
        out.add(sb.toString());
      }
    }
    return out;
  }

  static boolean tableExists(DataSource ds, String table) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return dev.rollback.jdbc.internal.Names.resolve(c, table) != null;
    }
  }

  static boolean tableExists(DataSource ds, String schema, String table) throws SQLException {
    try (Connection c = ds.getConnection(); ResultSet rs = c.getMetaData().getTables(null, schema, table, null)) {
      return rs.next();
    }
  }

  static boolean columnExists(DataSource ds, String table, String column) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return dev.rollback.jdbc.internal.Names.resolve(c, table).hasColumn(column);
    }
  }
}
