package dev.rollback.jdbc;

import static dev.rollback.jdbc.MigrationsIT.columnExists;
import static dev.rollback.jdbc.MigrationsIT.rows;
import static dev.rollback.jdbc.MigrationsIT.sql;
import static dev.rollback.jdbc.MigrationsIT.tableExists;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.engine.ManualClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code withDroppedColumnsKeptInPlace()}: a dropped column renamed to a hidden name instead of
 * archived, swapped back (PostgreSQL) or copied back (H2, another type) by the rollback; on H2 and
 * a real PostgreSQL 15.
 */
@ExtendWith(PostgresServer.class)
class KeptInPlaceIT {

  private static Migrations.Builder orders(DataSource ds) {
    return Migrations.builder(ds).fromClasspath("db/orders").withBatchSize(2).withDroppedColumnsKeptInPlace();
  }

  private static String hidden(String db, long id, String column) {
    String name = "rb_dropped_" + id + "_" + column;
    return db.equals("h2") ? name.toUpperCase(Locale.ROOT) : name;
  }

  private static void fiveOrders(DataSource ds) throws Exception {
    sql(ds, "INSERT INTO orders (id, customer, amount, discount, note) VALUES (1, 'ann', 20.00, 2.50, 'a'),"
        + " (2, 'bob', 30.00, NULL, 'b'), (3, 'cid', 40.00, 4.00, 'c'), (4, 'dan', 50.00, 5.00, 'd'), (5, 'eve', 60.00, 6.00, 'e')");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDroppedColumnIsRenamedNotCopiedAndComesBackWithItsValuesAndFingerprint(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds).verifying("orders").build();
    m.migrateTo("1");
    fiveOrders(ds);
    List<String> before = columnNames(ds, "orders");

    MigrationSummary up = m.migrateTo("2", "shop@2.0");

    assertThat(up.applied()).containsExactly("2");
    assertThat(columnExists(ds, "orders", "discount")).isFalse();
    assertThat(columnNames(ds, "orders")).contains(hidden(db, 1, db.equals("h2") ? "DISCOUNT" : "discount"));
    assertThat(tableExists(ds, "rollback_archive", "a1")).isFalse(); // nothing copied
    assertThat(rows(ds, "SELECT \"kind\", \"archive_table\", \"kept_in_place\" FROM \"rollback_archive\".\"archive_index\""))
        .singleElement().asString().startsWith("KEPT_IN_PLACE|" + hidden(db, 1, db.equals("h2") ? "DISCOUNT" : "discount") + "|NULL\u001f");

    RollbackSummary back = m.rollbackTo("1", "shop@2.0");

    assertThat(back.verification()).isEqualTo("passed: orders");
    assertThat(rows(ds, "SELECT id, discount FROM orders ORDER BY id")).containsExactly("1|2.50", "2|null", "3|4.00", "4|5.00", "5|6.00");
    assertThat(columnNames(ds, "orders")).noneMatch(c -> c.toLowerCase(Locale.ROOT).startsWith("rb_dropped_"));
    if (db.equals("postgres")) {
      assertThat(columnNames(ds, "orders")).isEqualTo(before); // swapped back into its old position
      assertThat(auditDetail(ds)).contains("orders.discount was kept in place as rb_dropped_1_discount and swapped back");
    } else {
      assertThat(auditDetail(ds)).contains("its values are copied into the re-added column because DDL commits on its own");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aKeptColumnArchivedWithItsDroppedTableIsAddedBackBeforeTheRowsAndThenPutBack(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds).withBatchSize(3).verifying("orders").build();
    m.migrateTo("1");
    MigrationsIT.insertMixedOrders(ds, 40);
    Fingerprint before;
    try (Connection c = ds.getConnection()) {
      before = Fingerprint.of(c, "orders");
    }

    m.migrateTo("5"); // V3 deletes rows and V5 drops the table: both archive the kept column with the rows
    assertThat(tableExists(ds, "orders")).isFalse();
    RollbackSummary back = m.rollbackTo("1");

    assertThat(back.undone()).containsExactly("5", "4", "3", "2");
    assertThat(back.verification()).isEqualTo("passed: orders");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders").matches(before)).isTrue();
    }
    assertThat(columnNames(ds, "orders")).noneMatch(c -> c.toLowerCase(Locale.ROOT).startsWith("rb_dropped_"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void insertsAndUpdatesTheApplicationMadeAfterTheReleaseSurviveTheRollback(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds).build();
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("2");
    // the new release does not know the column: a new order, a changed customer, a deleted order
    sql(ds, "INSERT INTO orders (id, customer, amount, note) VALUES (6, 'fay', 70.00, 'f')",
        "UPDATE orders SET customer = 'bea', note = 'edited' WHERE id = 3", "DELETE FROM orders WHERE id = 4");

    m.rollbackTo("1");

    assertThat(rows(ds, "SELECT id, customer, discount, note FROM orders ORDER BY id")).containsExactly(
        "1|ann|2.50|a", "2|bob|null|b", "3|bea|4.00|edited", "5|eve|6.00|e", "6|fay|null|f");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aNotNullColumnWithoutDefaultLetsTheReleaseInsertAndTheRollbackKeepsTheUndoDefaultWhereNothingWasKept(String db,
      @TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), d INT NOT NULL);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__drop_d.sql"), "ALTER TABLE t DROP COLUMN d;\n");
    Files.writeString(dir.resolve("U2__drop_d.sql"), "ALTER TABLE t ADD COLUMN d INT NOT NULL DEFAULT 0;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).withDroppedColumnsKeptInPlace().build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO t (id, v, d) VALUES (1, 'a', 10), (2, 'b', 20)");
    m.migrateTo("2");

    sql(ds, "INSERT INTO t (id, v) VALUES (3, 'c')"); // the release does not know d: accepted, d is NULL in it

    RollbackSummary back = m.rollbackTo("1");

    assertThat(rows(ds, "SELECT id, v, d FROM t ORDER BY id")).containsExactly("1|a|10", "2|b|20", "3|c|0");
    assertThat(MigrationsIT.rows(ds, "SELECT IS_NULLABLE FROM INFORMATION_SCHEMA.COLUMNS WHERE LOWER(TABLE_NAME) = 't'"
        + " AND LOWER(COLUMN_NAME) = 'd'")).containsExactly("NO");
    assertThat(back.rowsRestored()).isEqualTo(2);
    if (db.equals("postgres")) {
      assertThat(auditDetail(ds)).contains("the undo script declares it NOT NULL, but rows written since the release hold NULL in"
          + " t.rb_dropped_1_d (id=3)");
    }
  }

  @Test
  void aSwapGivesTheColumnTheDefaultAndNotNullTheUndoScriptDeclares(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, d INT NOT NULL DEFAULT 5, v TEXT);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__drop_d.sql"), "ALTER TABLE t DROP COLUMN d;\n");
    Files.writeString(dir.resolve("U2__drop_d.sql"), "ALTER TABLE t ADD COLUMN d INT NOT NULL DEFAULT 7;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).withDroppedColumnsKeptInPlace().build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO t (id, d, v) VALUES (1, 1, 'a'), (2, 2, 'b')");
    m.migrateTo("2");
    sql(ds, "INSERT INTO t (id, v) VALUES (3, 'c')"); // gets the kept column's default, 5

    m.rollbackTo("1");

    assertThat(rows(ds, "SELECT id, d, v FROM t ORDER BY id")).containsExactly("1|1|a", "2|2|b", "3|5|c");
    assertThat(columnNames(ds, "t")).containsExactly("id", "d", "v");
    assertThat(rows(ds, "SELECT is_nullable, column_default FROM information_schema.columns WHERE table_name = 't' AND column_name = 'd'"))
        .containsExactly("NO|7");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aDryRunShowsHowTheKeptColumnComesBack(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Migrations m = orders(ds).build();
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("2");

    List<String> sql = m.dryRunRollbackTo("1").statements().stream().map(PlannedStatement::sql).toList();

    String table = db.equals("h2") ? "\"PUBLIC\".\"ORDERS\"" : "\"public\".\"orders\"";
    String column = db.equals("h2") ? "DISCOUNT" : "discount";
    String hidden = hidden(db, 1, column);
    if (db.equals("postgres")) {
      assertThat(sql).containsSubsequence("ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2)",
          "ALTER TABLE " + table + " DROP COLUMN \"discount\"",
          "ALTER TABLE " + table + " RENAME COLUMN \"" + hidden + "\" TO \"discount\"",
          "ALTER TABLE " + table + " ALTER COLUMN \"discount\" DROP DEFAULT",
          "-- otherwise, after the undo script commits: copy");
    }
    assertThat(sql).anyMatch(s -> s.startsWith("UPDATE " + table + " x SET \"" + column + "\" = x.\"" + hidden + "\" WHERE"));
    assertThat(sql).last().isEqualTo("ALTER TABLE " + table + " DROP COLUMN \"" + hidden + "\"");
    assertThat(m.currentVersion()).isEqualTo("2");
    assertThat(columnNames(ds, "orders")).contains(hidden);
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void retentionDropsTheKeptColumnAndARollbackThenStopsForAHuman(String db) throws Exception {
    DataSource ds = TestDatabases.create(db);
    ManualClock clock = ManualClock.startingAt(Instant.parse("2026-01-01T00:00:00Z"));
    Migrations m = orders(ds).withArchiveRetention(Duration.ofDays(7)).withClock(clock).build();
    m.migrateTo("1");
    fiveOrders(ds);
    m.migrateTo("2");
    assertThat(m.cleanArchive()).isZero();
    String hidden = hidden(db, 1, db.equals("h2") ? "DISCOUNT" : "discount");
    assertThat(columnNames(ds, "orders")).contains(hidden);

    clock.advance(Duration.ofDays(8));
    assertThat(m.cleanArchive()).isEqualTo(1);

    assertThat(columnNames(ds, "orders")).doesNotContain(hidden);
    assertThat(rows(ds, "SELECT \"phase\" FROM \"rollback_archive\".\"archive_index\"")).containsExactly("EXPIRED");
    assertThatThrownBy(() -> m.rollbackTo("1"))
        .isInstanceOf(MissingArchiveException.class)
        .hasMessageContaining("expired by retention");
  }

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void aTableWithoutPrimaryKeyOrAnIndexOnTheColumnFallsBackToTheArchive(String db, @TempDir Path dir) throws Exception {
    DataSource ds = TestDatabases.create(db);
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, d INT, e INT);\n"
        + "CREATE INDEX t_e ON t (e);\nCREATE TABLE loose (id INT, d INT);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE loose;\nDROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__drop_e.sql"), "ALTER TABLE t DROP COLUMN e;\n");
    Files.writeString(dir.resolve("U2__drop_e.sql"), "ALTER TABLE t ADD COLUMN e INT;\n");
    Files.writeString(dir.resolve("V3__drop_loose_d.sql"), "ALTER TABLE loose DROP COLUMN d;\n");
    Files.writeString(dir.resolve("U3__drop_loose_d.sql"), "ALTER TABLE loose ADD COLUMN d INT;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).withDroppedColumnsKeptInPlace().build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO t VALUES (1, 10, 100), (2, 20, 200)", "INSERT INTO loose VALUES (1, 1)");

    m.migrateTo("2"); // an index depends on e: archived and dropped
    assertThat(rows(ds, "SELECT \"kind\" FROM \"rollback_archive\".\"archive_index\"")).containsExactly("DROP_COLUMNS");
    assertThat(columnNames(ds, "t")).noneMatch(c -> c.toLowerCase(Locale.ROOT).startsWith("rb_dropped_"));
    // no primary key: the archive path, which refuses a column drop it could not put back
    assertThatThrownBy(() -> m.migrateTo("3")).isInstanceOf(MigrationException.class).hasMessageContaining("has no primary key");

    m.rollbackTo("1");
    assertThat(rows(ds, "SELECT id, d, e FROM t ORDER BY id")).containsExactly("1|10|100", "2|20|200");
  }

  @Test
  void cascadeAndSeveralActionsFallBackToTheArchive(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT, c INT);\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__drop.sql"), "ALTER TABLE t DROP COLUMN a CASCADE;\nALTER TABLE t DROP COLUMN b, ADD COLUMN x INT;\n"
        + "ALTER TABLE t DROP COLUMN c;\n");
    Files.writeString(dir.resolve("U2__drop.sql"), "ALTER TABLE t DROP COLUMN x;\nALTER TABLE t ADD COLUMN a INT;\n"
        + "ALTER TABLE t ADD COLUMN b INT;\nALTER TABLE t ADD COLUMN c INT;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).withDroppedColumnsKeptInPlace().verifying("t").build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO t VALUES (1, 10, 100, 1000), (2, 20, 200, 2000)");

    m.migrateTo("2");

    assertThat(rows(ds, "SELECT \"kind\", \"columns\" FROM \"rollback_archive\".\"archive_index\" ORDER BY \"id\""))
        .containsExactly("DROP_COLUMNS|a", "DROP_COLUMNS|b", "KEPT_IN_PLACE|c");
    assertThat(columnNames(ds, "t")).containsExactly("id", "rb_dropped_3_c", "x");

    assertThat(m.rollbackTo("1").verification()).isEqualTo("passed: t");
    assertThat(rows(ds, "SELECT id, a, b, c FROM t ORDER BY id")).containsExactly("1|10|100|1000", "2|20|200|2000");
  }

  @Test
  void aViewOnTheColumnIsNotFollowedByTheRename(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Files.writeString(dir.resolve("V1__t.sql"), "CREATE TABLE t (id INT PRIMARY KEY, d INT);\nCREATE VIEW v AS SELECT id, d FROM t;\n");
    Files.writeString(dir.resolve("U1__t.sql"), "DROP VIEW v;\nDROP TABLE t;\n");
    Files.writeString(dir.resolve("V2__drop_d.sql"), "ALTER TABLE t DROP COLUMN d;\n");
    Files.writeString(dir.resolve("U2__drop_d.sql"), "ALTER TABLE t ADD COLUMN d INT;\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).withDroppedColumnsKeptInPlace().build();
    m.migrateTo("1");

    // a rename would succeed and leave the view reading the hidden column: the drop runs as written
    // and PostgreSQL refuses it, as it would without the option
    assertThatThrownBy(() -> m.migrateTo("2")).isInstanceOf(MigrationException.class)
        .hasMessageContaining("depend");
    assertThat(columnNames(ds, "t")).containsExactly("id", "d");
    assertThat(rows(ds, "SELECT pg_get_viewdef('v'::regclass)")).singleElement().asString().contains("t.d");
  }

  @Test
  void aCopyBackWhoseConnectionIsKilledResumesWithEveryValueIntact(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Files.writeString(dir.resolve("V1__orders.sql"), "CREATE TABLE orders (id INT PRIMARY KEY, discount NUMERIC(10, 2), note TEXT);\n");
    Files.writeString(dir.resolve("U1__orders.sql"), "DROP TABLE orders;\n");
    Files.writeString(dir.resolve("V2__drop_discount.sql"), "ALTER TABLE orders DROP COLUMN discount;\n");
    // another type than the kept column: copied back in key ranges, not swapped
    Files.writeString(dir.resolve("U2__drop_discount.sql"), "ALTER TABLE orders ADD COLUMN discount NUMERIC(12, 2);\n");
    Migrations m = Migrations.builder(ds).fromFolder(dir).withDroppedColumnsKeptInPlace().withBatchSize(100)
        .withLockTimeout(Duration.ofSeconds(60)).verifying("orders").build();
    m.migrateTo("1");
    sql(ds, "INSERT INTO orders SELECT g, CASE WHEN g % 5 = 0 THEN NULL ELSE g % 17 END, 'n' || g FROM generate_series(1, 2000) g");
    Fingerprint before;
    try (Connection c = ds.getConnection()) {
      before = Fingerprint.of(c, "orders");
    }
    m.migrateTo("2");

    // writing order 1501 (a kept value, not NULL) waits for an advisory lock the test holds: the copy stops halfway
    sql(ds, "CREATE FUNCTION hold_1501() RETURNS trigger AS $$ BEGIN IF NEW.id = 1501 THEN"
        + " PERFORM pg_advisory_xact_lock_shared(4243); END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER hold BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION hold_1501()");
    try (Connection blocker = ds.getConnection()) {
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_lock(4243)").close();
      }
      int blockerPid = PgSessions.pid(blocker);
      CompletableFuture<RollbackSummary> rollback = CompletableFuture.supplyAsync(() -> m.rollbackTo("1"));
      await().atMost(Duration.ofSeconds(60)).until(() -> PgSessions.waitingOnLock(ds, "UPDATE") && copiedSoFar(ds) > 0);

      assertThat(PgSessions.terminateOthers(ds, blockerPid)).isGreaterThanOrEqualTo(1);
      assertThatThrownBy(() -> rollback.get(60, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOf(MigrationException.class).hasMessageContaining("Run the rollback again to resume");
      try (Statement st = blocker.createStatement()) {
        st.executeQuery("SELECT pg_advisory_unlock(4243)").close();
      }
    }
    sql(ds, "DROP TRIGGER hold ON orders");
    long partly = copiedSoFar(ds);
    assertThat(partly).isBetween(1L, 1599L);
    assertThat(columnNames(ds, "orders")).containsExactly("id", "rb_dropped_1_discount", "note", "discount");

    RollbackSummary resumed = m.rollbackTo("1");

    assertThat(resumed.rowsRestored()).isEqualTo(1600 - partly); // 400 kept NULLs are already equal
    assertThat(resumed.verification()).isEqualTo("passed: orders");
    try (Connection c = ds.getConnection()) {
      assertThat(Fingerprint.of(c, "orders").matches(before)).isTrue();
    }
    assertThat(columnNames(ds, "orders")).containsExactly("id", "note", "discount");
  }

  // ------------------------------------------------------------------ helpers

  static List<String> columnNames(DataSource ds, String table) throws Exception {
    List<String> out = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + table
        + " WHERE 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      for (int i = 1; i <= md.getColumnCount(); i++) out.add(md.getColumnName(i));
    }
    return out;
  }

  private static String auditDetail(DataSource ds) throws Exception {
    return String.join("\n", rows(ds, "SELECT \"detail\" FROM \"rollback_archive\".\"audit\" ORDER BY \"id\""));
  }

  private static long copiedSoFar(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT \"rows_restored\" FROM \"rollback_archive\".\"archive_index\" WHERE \"kind\" = 'KEPT_IN_PLACE'")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
