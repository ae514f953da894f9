package dev.rollback.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dropped column put back by rebuilding its table (PostgreSQL, {@code withTableRebuildAbove(0)}
 * so a small table is rebuilt too): the same values as the batches in place, later writes kept,
 * including writes made while the new table is built, and the table keeps its name, indexes,
 * constraints, grants and sequence.
 */
@ExtendWith(PostgresServer.class)
class RebuildIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


  @Test
  void aRebuiltTableHoldsTheArchivedValuesAndEveryWriteMadeBeforeAndDuringTheRebuild(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = migrations(ds, dir);
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (customer, discount, note) SELECT 'c' || g, CASE WHEN g % 3 = 0 THEN NULL ELSE g / 100.0 END,"
            + " 'n' || g FROM generate_series(1, 300) g",
        "DROP ROLE IF EXISTS rb_reader", "CREATE ROLE rb_reader", "GRANT SELECT ON orders TO rb_reader",
        "COMMENT ON TABLE orders IS 'the orders'");
    List<String> before = MigrationsIT.rows(ds, "SELECT id, discount FROM orders ORDER BY id");
    m.migrateTo("2", "shop@2");
    // writes after the release: a new row, an update of another column, a delete
    MigrationsIT.sql(ds, "INSERT INTO orders (customer, note) VALUES ('new', 'after the release')",
        "UPDATE orders SET note = 'edited after the release' WHERE id = 10", "DELETE FROM orders WHERE id = 20");

    // writes while the table is rebuilt: the archive is locked, so the copy into the new table waits for it (its snapshot
    // already taken) while the trigger logs these writes; only the log can bring them into the new table
    String[] entry = MigrationsIT.rows(ds, "SELECT \"id\", \"archive_table\" FROM \"rollback_archive\".\"archive_index\"").get(0)
        .split("\\|");
    String archiveTable = entry[1];
    RollbackSummary summary;
    try (Connection holder = ds.getConnection(); Statement lock = holder.createStatement()) {
      holder.setAutoCommit(false);
      lock.execute("LOCK TABLE rollback_archive.\"" + archiveTable + "\" IN ACCESS EXCLUSIVE MODE");
      CompletableFuture<RollbackSummary> rollback = CompletableFuture.supplyAsync(() -> m.rollbackTo("1", "shop@2"));
      await().atMost(HANG_GUARD).until(() -> !MigrationsIT.rows(ds,
          "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = '" + archiveTable + "' AND NOT l.granted")
          .isEmpty());
      assertThat(MigrationsIT.rows(ds, "SELECT tgname FROM pg_trigger WHERE tgrelid = 'orders'::regclass ORDER BY 1"))
          .containsExactly("rb_log_" + entry[0], "rb_trunc_" + entry[0]);
      MigrationsIT.sql(ds, "UPDATE orders SET note = 'edited during the rebuild' WHERE id = 11",
          "INSERT INTO orders (customer, note) VALUES ('during', 'inserted during the rebuild')",
          "UPDATE orders SET discount = 99.99 WHERE id = 12",
          "DELETE FROM orders WHERE id = 13");
      holder.commit();
      summary = rollback.join();
    }

    assertThat(summary.rowsRestored()).isEqualTo(200);
    List<String> expected = new java.util.ArrayList<>();
    for (String row : before) {
      String id = row.substring(0, row.indexOf('|'));
      if (id.equals("20") || id.equals("13")) continue;
      expected.add(id.equals("12") ? "12|99.99" : row);
    }
    expected.add("301|null");
    expected.add("302|null");
    assertThat(MigrationsIT.rows(ds, "SELECT id, discount FROM orders ORDER BY id")).isEqualTo(expected);
    assertThat(MigrationsIT.rows(ds, "SELECT note FROM orders WHERE id IN (10, 11, 301, 302) ORDER BY id")).containsExactly(
        "edited after the release", "edited during the rebuild", "after the release", "inserted during the rebuild");
    assertThat(MigrationsIT.rows(ds, "SELECT conname FROM pg_constraint WHERE conrelid = 'orders'::regclass ORDER BY 1"))
        .containsExactly("orders_customer_check", "orders_pkey");
    assertThat(MigrationsIT.rows(ds, "SELECT indexname FROM pg_indexes WHERE tablename = 'orders' ORDER BY 1"))
        .containsExactly("orders_note_idx", "orders_pkey");
    assertThat(MigrationsIT.rows(ds, "SELECT has_table_privilege('rb_reader', 'orders', 'SELECT'),"
        + " obj_description('orders'::regclass, 'pg_class'), pg_get_serial_sequence('orders', 'id') IS NOT NULL"))
        .containsExactly("t|the orders|t");
    assertThat(MigrationsIT.rows(ds, "SELECT count(*) FROM pg_class WHERE relname LIKE 'rb\\_%'")).containsExactly("0");
    assertThat(MigrationsIT.rows(ds, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'orders'::regclass")).containsExactly("0");
    MigrationsIT.sql(ds, "INSERT INTO orders (customer) VALUES ('next')");
    assertThat(MigrationsIT.rows(ds, "SELECT max(id) FROM orders")).containsExactly("303");
    MigrationsIT.sql(ds, "DROP ROLE IF EXISTS rb_reader_gone"); // the role stays granted on the new table
    MigrationsIT.sql(ds, "REVOKE ALL ON orders FROM rb_reader", "DROP ROLE rb_reader");
  }

  @Test
  void aRebuiltTableIsWrittenFrozenSoNoReaderRewritesItsPages(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = migrations(ds, dir);
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (customer, discount, note) SELECT 'c' || g, g / 10.0, repeat('n', 200) FROM"
        + " generate_series(1, 2000) g");
    m.migrateTo("2", "shop@2");
    MigrationsIT.sql(ds, "UPDATE orders SET note = 'edited after the release' WHERE id % 10 = 0");

    m.rollbackTo("1", "shop@2");

    assertThat(MigrationsIT.rows(ds, "SELECT count(*) FROM orders WHERE discount IS NOT NULL")).containsExactly("2000");
    MigrationsIT.sql(ds, "CREATE EXTENSION IF NOT EXISTS pg_visibility");
    // every page all-frozen, so all-visible: COPY FREEZE in the transaction that created the table
    assertThat(MigrationsIT.rows(ds, "SELECT pg_relation_size('orders') / current_setting('block_size')::int > 1,"
        + " all_frozen = pg_relation_size('orders') / current_setting('block_size')::int FROM pg_visibility_map_summary('orders')"))
        .containsExactly("t|t");
  }

  @Test
  void aTableAViewDependsOnIsRestoredInPlaceInstead(@TempDir Path dir) throws Exception {
    DataSource ds = PostgresServer.newDatabase();
    Migrations m = migrations(ds, dir);
    m.migrateTo("1");
    MigrationsIT.sql(ds, "INSERT INTO orders (customer, discount) SELECT 'c' || g, g / 10.0 FROM generate_series(1, 50) g",
        "CREATE VIEW big_orders AS SELECT id, customer FROM orders WHERE id > 25");
    List<String> before = MigrationsIT.rows(ds, "SELECT id, discount FROM orders ORDER BY id");
    m.migrateTo("2", "shop@2");
    long oid = Long.parseLong(MigrationsIT.rows(ds, "SELECT 'orders'::regclass::oid").get(0));

    m.rollbackTo("1", "shop@2");

    assertThat(MigrationsIT.rows(ds, "SELECT id, discount FROM orders ORDER BY id")).isEqualTo(before);
    assertThat(MigrationsIT.rows(ds, "SELECT 'orders'::regclass::oid")).containsExactly(Long.toString(oid)); // the same table
    assertThat(MigrationsIT.rows(ds, "SELECT count(*) FROM big_orders")).containsExactly("25");
  }

  private static Migrations migrations(DataSource ds, Path dir) throws Exception {
    Files.writeString(dir.resolve("V1__orders.sql"), "CREATE TABLE orders (id bigserial PRIMARY KEY, customer text NOT NULL"
        + " CHECK (customer <> ''), discount numeric(10, 2), note text);\nCREATE INDEX orders_note_idx ON orders (note);\n");
    Files.writeString(dir.resolve("U1__orders.sql"), "DROP TABLE orders;\n");
    Files.writeString(dir.resolve("V2__drop_discount.sql"), "ALTER TABLE orders DROP COLUMN discount;\n");
    Files.writeString(dir.resolve("U2__drop_discount.sql"), "ALTER TABLE orders ADD COLUMN discount numeric(10, 2);\n");
    return Migrations.builder(ds).fromFolder(dir).withBatchSize(10).withTableRebuildAbove(0)
        .withLockTimeout(Duration.ofSeconds(30)).build();
  }
}
