package dev.rollback.jdbc.bench;

import dev.rollback.jdbc.Fingerprint;
import dev.rollback.jdbc.Migrations;
import dev.rollback.jdbc.PostgresServer;
import dev.rollback.jdbc.RollbackSummary;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;

/**
 * The rollback of a column drop on a real PostgreSQL 15, next to what a dump/restore of the table
 * costs and loses. Not part of {@code mvn verify}; run {@code scripts/bench/jdbc.sh}.
 *
 * <ol>
 *   <li>a table of N rows (default 1,000,000); {@code pg_dump -t} of it (the "backup" a dump-based
 *       rollback would restore);</li>
 *   <li>a release drops a column (archived first);</li>
 *   <li>the application writes W times (default 10,000: half inserts, half updates);</li>
 *   <li>our rollback, while a monitor polls pg_locks for ACCESS EXCLUSIVE locks on the table;</li>
 *   <li>then the dump-based way on the same database: drop the table, {@code pg_restore}; count
 *       the application's writes that survived each way;</li>
 *   <li>fingerprint rows/s next to {@code SELECT count(*)}.</li>
 * </ol>
 */
public final class JdbcRollbackBenchmark {
  private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");

  public static void main(String[] args) throws Exception {
    int rows = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int writes = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
    int batch = args.length > 2 ? Integer.parseInt(args[2]) : 50_000;
    int connections = args.length > 3 ? Integer.parseInt(args[3]) : 0; // 0: the runner's default (2 on PostgreSQL)
    // "in-place": the release keeps the dropped column under a hidden name (withDroppedColumnsKeptInPlace)
    boolean inPlace = args.length > 4 && args[4].equals("in-place");
    // "in-batches": never rebuild the table (withTableRebuildAbove(Long.MAX_VALUE)), the update-in-place path
    boolean inBatches = args.length > 4 && args[4].equals("in-batches");
    if (args.length > 4 && !inPlace && !inBatches) {
      throw new IllegalArgumentException("5th argument: 'in-place', 'in-batches' or nothing, not '" + args[4] + "'");
    }
    System.out.printf("rows %,d, writes %,d, restore batch %,d, restore connections %s, dropped column %s%n", rows, writes, batch,
        connections == 0 ? "default" : String.valueOf(connections), inPlace ? "kept in place"
        : inBatches ? "archived, restored in batches" : "archived");
    PostgresServer.Server server = PostgresServer.start();
    DataSource ds = PostgresServer.newDatabase();
    String db;
    try (Connection c = ds.getConnection()) {
      db = c.getCatalog();
    }
    Path dir = Files.createTempDirectory("jdbc-bench");
    Files.writeString(dir.resolve("V1__orders.sql"), "CREATE TABLE orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL,"
        + " amount NUMERIC(10, 2), discount NUMERIC(10, 2), note TEXT);\n");
    Files.writeString(dir.resolve("U1__orders.sql"), "DROP TABLE orders;\n");
    Files.writeString(dir.resolve("V2__drop_discount.sql"), "ALTER TABLE orders DROP COLUMN discount;\n");
    Files.writeString(dir.resolve("U2__drop_discount.sql"), "ALTER TABLE orders ADD COLUMN discount NUMERIC(10, 2);\n");
    Migrations.Builder mb = Migrations.builder(ds).fromFolder(dir).withBatchSize(batch);
    if (connections > 0) mb.withRestoreConnections(connections);
    if (inPlace) mb.withDroppedColumnsKeptInPlace();
    if (inBatches) mb.withTableRebuildAbove(Long.MAX_VALUE);
    Migrations m = mb.build();
    m.migrateTo("1");
    long t = System.nanoTime();
    exec(ds, "INSERT INTO orders SELECT g, 'customer ' || g, (g % 10000) / 100.0, CASE WHEN g % 3 = 0 THEN NULL ELSE (g % 500) / 100.0 END,"
        + " 'note ' || g FROM generate_series(1, " + rows + ") g", "VACUUM ANALYZE orders");
    System.out.printf("loaded %,d rows in %.1f s%n", rows, secs(t));
    long discounts = count(ds, "SELECT count(*) FROM orders WHERE discount IS NOT NULL");

    Path dump = dir.resolve("orders.dump");
    long postmaster = postmaster(ds);
    awaitNoOtherBackends(ds);
    double[] cpu = {serverCpu(postmaster), childrenCpu()};
    t = System.nanoTime();
    run(server, List.of(BIN.resolve("pg_dump").toString(), "-h", "127.0.0.1", "-p", String.valueOf(server.port()), "-U", "rollback",
        "-d", db, "-t", "orders", "-Fc", "-f", dump.toString()));
    double dumpSecs = secs(t);
    awaitNoOtherBackends(ds); // pg_dump's backend has exited: the postmaster has counted its CPU
    double dumpServerCpu = serverCpu(postmaster) - cpu[0];
    double dumpClientCpu = childrenCpu() - cpu[1];

    t = System.nanoTime();
    var up = m.migrateTo("2", "bench@2");
    System.out.printf(inPlace ? "release (RENAME COLUMN + DROP NOT NULL, %,d rows kept in place): %.2f s%n"
        : "release (archive %,d rows + DROP COLUMN): %.2f s%n", up.rowsArchived(), secs(t));

    t = System.nanoTime();
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ins = c.prepareStatement("INSERT INTO orders (id, customer, amount, note) VALUES (?, ?, ?, 'written after the release')");
           PreparedStatement upd = c.prepareStatement("UPDATE orders SET note = 'edited after the release' WHERE id = ?")) {
        for (int i = 0; i < writes / 2; i++) {
          ins.setLong(1, rows + 1L + i);
          ins.setString(2, "new " + i);
          ins.setBigDecimal(3, java.math.BigDecimal.valueOf(i % 100));
          ins.addBatch();
          upd.setLong(1, 1L + (long) i * (rows / Math.max(1, writes / 2)));
          upd.addBatch();
        }
        ins.executeBatch();
        upd.executeBatch();
      }
      c.commit();
    }
    System.out.printf("application writes: %,d in %.2f s%n", writes, secs(t));

    // a rollback comes minutes or hours after the release; by then autovacuum has analyzed the
    // new archive table (1,000,000 inserted rows pass its threshold within a minute)
    List<String> archives = new ArrayList<>();
    try (Connection c = ds.getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT archive_table FROM rollback_archive.archive_index WHERE archive_table <> '-'"
             + " AND kind <> 'KEPT_IN_PLACE'")) {
      while (rs.next()) archives.add(rs.getString(1));
    }
    for (String a : archives) exec(ds, "ANALYZE rollback_archive." + a);
    System.out.printf("analyzed the archive (%s), as autovacuum does within a minute of the release%n", archives);
    long seqScans = seqScans(ds);
    LockMonitor monitor = new LockMonitor(ds);
    cpu = new double[] {serverCpu(postmaster), ownCpu()};
    monitor.start();
    t = System.nanoTime();
    RollbackSummary back = m.rollbackTo("1", "bench@2");
    double rollbackSecs = secs(t);
    monitor.stop();
    // a backend's statistics reach pg_stat_user_tables at the latest when it exits: wait for the runner's to go
    awaitNoOtherBackends(ds);
    double ourServerCpu = serverCpu(postmaster) - cpu[0] - monitor.backendCpu();
    double ourClientCpu = ownCpu() - cpu[1] - monitor.threadCpu();
    long scansAfter = seqScans(ds);
    if (scansAfter < seqScans) {
      System.out.printf("sequential scans of orders during the rollback: the table was rebuilt (a new table, %d scans since)%n",
          scansAfter);
    } else {
      System.out.printf("sequential scans of orders during the rollback: %d%n", scansAfter - seqScans);
    }
    long restoredDiscounts = count(ds, "SELECT count(*) FROM orders WHERE discount IS NOT NULL");
    long survivedInserts = count(ds, "SELECT count(*) FROM orders WHERE note = 'written after the release'");
    long survivedUpdates = count(ds, "SELECT count(*) FROM orders WHERE note = 'edited after the release'");
    System.out.printf("our rollback: %.2f s, %,d rows restored (%,d of %,d discounts back), longest ACCESS EXCLUSIVE lock on orders"
            + " %d ms (%d lock sightings, polled every ~%d ms), later writes surviving: %,d inserts + %,d updates of %,d%n",
        rollbackSecs, back.rowsRestored(), restoredDiscounts, discounts, monitor.longestMillis(), monitor.sightings(),
        monitor.pollMillis(), survivedInserts, survivedUpdates, writes);

    LockMonitor restoreMonitor = new LockMonitor(ds);
    cpu = new double[] {serverCpu(postmaster), childrenCpu()};
    t = System.nanoTime();
    exec(ds, "DROP TABLE orders");
    restoreMonitor.start();
    run(server, List.of(BIN.resolve("pg_restore").toString(), "-h", "127.0.0.1", "-p", String.valueOf(server.port()), "-U", "rollback",
        "-d", db, dump.toString()));
    double restoreSecs = secs(t);
    restoreMonitor.stop();
    awaitNoOtherBackends(ds);
    double restoreServerCpu = serverCpu(postmaster) - cpu[0] - restoreMonitor.backendCpu();
    double restoreClientCpu = childrenCpu() - cpu[1];
    long dumpInserts = count(ds, "SELECT count(*) FROM orders WHERE note = 'written after the release'");
    long dumpUpdates = count(ds, "SELECT count(*) FROM orders WHERE note = 'edited after the release'");
    System.out.printf("pg_dump -t orders: %.2f s + drop and pg_restore: %.2f s = %.2f s (the table is missing meanwhile),"
            + " later writes surviving: %,d inserts + %,d updates of %,d%n",
        dumpSecs, restoreSecs, dumpSecs + restoreSecs, dumpInserts, dumpUpdates, writes);
    System.out.printf("ratio rollback / (dump + restore) = %.2f%n", rollbackSecs / (dumpSecs + restoreSecs));
    double ourCpu = ourServerCpu + ourClientCpu;
    double theirCpu = dumpServerCpu + dumpClientCpu + restoreServerCpu + restoreClientCpu;
    System.out.printf("CPU seconds (server backends + client processes, the lock monitors left out): our rollback %.2f + %.2f = %.2f;"
            + " pg_dump %.2f + %.2f, pg_restore %.2f + %.2f = %.2f; ratio %.2f%n", ourServerCpu, ourClientCpu, ourCpu, dumpServerCpu,
        dumpClientCpu, restoreServerCpu, restoreClientCpu, theirCpu, ourCpu / theirCpu);

    try (Connection c = ds.getConnection()) {
      long n = count(ds, "SELECT count(*) FROM orders");
      t = System.nanoTime();
      count(ds, "SELECT count(*) FROM orders");
      double countSecs = secs(t);
      t = System.nanoTime();
      Fingerprint fp = Fingerprint.of(c, "orders");
      double fpSecs = secs(t);
      System.out.printf("fingerprint of %,d rows: %.2f s = %,.0f rows/s; SELECT count(*): %.3f s = %,.0f rows/s (%s)%n",
          n, fpSecs, n / fpSecs, countSecs, n / countSecs, fp);
    }
    PostgresServer.Server.class.getName(); // the server stops in the shutdown hook
  }

  /** Polls pg_locks for AccessExclusiveLock on the orders table and keeps the longest continuous sighting per holder. */
  static final class LockMonitor {
    /** Between polls of pg_locks: {@code -Dbench.lockPollMs} (default 1). */
    static final long POLL_NANOS = Long.getLong("bench.lockPollMs", 1) * 1_000_000;
    private final DataSource ds;
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicLong longest = new AtomicLong();
    private final AtomicLong sightings = new AtomicLong();
    private final AtomicLong polls = new AtomicLong();
    private volatile double backendCpu;
    private volatile double threadCpu;
    private long startedAt;
    private long stoppedAt;
    private Thread thread;

    LockMonitor(DataSource ds) {
      this.ds = ds;
    }

    void start() {
      running.set(true);
      startedAt = System.nanoTime();
      thread = new Thread(() -> {
        Map<String, Long> since = new java.util.HashMap<>();
        try (Connection c = ds.getConnection(); Statement self = c.createStatement(); PreparedStatement ps = c.prepareStatement(
            "SELECT l.pid || ':' || COALESCE(l.virtualtransaction, '') FROM pg_locks l JOIN pg_class r ON r.oid = l.relation"
                + " WHERE r.relname = 'orders' AND l.mode = 'AccessExclusiveLock' AND l.granted")) {
          long backend;
          try (ResultSet rs = self.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            backend = rs.getLong(1);
          }
          while (running.get()) {
            long now = System.nanoTime();
            List<String> holders = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) holders.add(rs.getString(1));
            }
            polls.incrementAndGet();
            for (String h : holders) {
              since.putIfAbsent(h, now);
              sightings.incrementAndGet();
              longest.accumulateAndGet((now - since.get(h)) / 1_000_000, Math::max);
            }
            since.keySet().retainAll(holders);
            // a spinning monitor would take a core from the work it watches
            java.util.concurrent.locks.LockSupport.parkNanos(POLL_NANOS);
          }
          backendCpu = ownCpuOf(Path.of("/proc/" + backend + "/stat"));
          threadCpu = java.lang.management.ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() / 1e9;
        } catch (SQLException | java.io.IOException e) {
          System.err.println("lock monitor stopped: " + e.getMessage());
        }
      }, "lock-monitor");
      thread.setDaemon(true);
      thread.start();
    }

    void stop() throws InterruptedException {
      running.set(false);
      thread.join();
      stoppedAt = System.nanoTime();
    }

    /** CPU seconds of the monitor's own backend, which the server's CPU figure leaves out. */
    double backendCpu() {
      return backendCpu;
    }

    /** CPU seconds of the monitor's thread, which the client's CPU figure leaves out. */
    double threadCpu() {
      return threadCpu;
    }

    long longestMillis() {
      return longest.get();
    }

    long sightings() {
      return sightings.get();
    }

    long pollMillis() {
      return polls.get() == 0 ? 0 : (stoppedAt - startedAt) / 1_000_000 / polls.get();
    }
  }

  private static void awaitNoOtherBackends(DataSource ds) throws Exception {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (count(ds, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") > 0) {
      if (System.nanoTime() > deadline) throw new IllegalStateException("the runner's connections did not close within 10 s");
      java.util.concurrent.locks.LockSupport.parkNanos(10_000_000);
    }
    java.util.concurrent.locks.LockSupport.parkNanos(200_000_000); // the exiting backends' last stats flush
  }

  /** The postmaster's pid: the parent of any backend. */
  private static long postmaster(DataSource ds) throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      String stat = Files.readString(Path.of("/proc/" + rs.getLong(1) + "/stat")); // while the backend lives
      return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }
  }

  /** CPU seconds of the backends that have exited (the postmaster's reaped children, autovacuum's included). */
  private static double serverCpu(long postmaster) throws java.io.IOException {
    return statSeconds(Path.of("/proc/" + postmaster + "/stat"), 16);
  }

  /** CPU seconds of this JVM's exited child processes (pg_dump, pg_restore). */
  private static double childrenCpu() throws java.io.IOException {
    return statSeconds(Path.of("/proc/self/stat"), 16);
  }

  /** CPU seconds of this JVM. */
  private static double ownCpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime() / 1e9;
  }

  /** User + system CPU seconds of the process of {@code stat}. */
  private static double ownCpuOf(Path stat) throws java.io.IOException {
    return statSeconds(stat, 14);
  }

  /** Fields {@code field} and {@code field + 1} of a /proc stat file (1-based, as in proc(5)), in seconds at 100 ticks a second. */
  private static double statSeconds(Path stat, int field) throws java.io.IOException {
    String s = Files.readString(stat);
    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
    return (Long.parseLong(f[field - 3]) + Long.parseLong(f[field - 2])) / 100.0;
  }

  private static long seqScans(DataSource ds) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      st.execute("SELECT pg_stat_force_next_flush()");
      try (ResultSet rs = st.executeQuery("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'orders'")) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  private static double secs(long start) {
    return (System.nanoTime() - start) / 1e9;
  }

  private static void exec(DataSource ds, String... sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    }
  }

  private static long count(DataSource ds, String sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static void run(PostgresServer.Server server, List<String> cmd) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PGPASSWORD", server.password());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
  }
}
