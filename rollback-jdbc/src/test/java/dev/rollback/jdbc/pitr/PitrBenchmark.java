package dev.rollback.jdbc.pitr;

import java.nio.charset.StandardCharsets;
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
import java.util.Map;

/**
 * Point-in-time recovery on a real PostgreSQL 15 with WAL archiving, next to the same work done
 * by hand. Not part of {@code mvn verify}; run {@code scripts/bench/pitr.sh}.
 *
 * <ol>
 *   <li>a database of about S MB (default 1024): {@code orders} of 1,000,000 rows and a filler
 *       table; a base backup ({@code pg_basebackup}, verified);</li>
 *   <li>a restore point (fingerprint of {@code orders} at it); a bad backfill (10,000 rows of
 *       {@code orders}); 10,000 later inserts;</li>
 *   <li>R rounds (default 3), alternating: the recovery by hand (copy the base backup,
 *       {@code recovery.signal} + {@code restore_command} + {@code recovery_target_name}, start,
 *       wait until promoted) and ours ({@link SideBySideRestore} up to the promoted copy);</li>
 *   <li>copying {@code orders} back from our recovered copy (keeping the later inserts) next to
 *       {@code pg_dump -t orders -Fc} from it + {@code pg_restore --clean} into the live database.</li>
 * </ol>
 */
public final class PitrBenchmark {

  public static void main(String[] args) throws Exception {
    int sizeMb = args.length > 0 ? Integer.parseInt(args[0]) : 1024;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
    int orders = 1_000_000;
    try (ArchivingPostgres pg = ArchivingPostgres.start(true)) {
      String db = "bench";
      pg.sql("postgres", "CREATE DATABASE bench");
      long t = System.nanoTime();
      long fillerRows = Math.max(0, (sizeMb - 110L) * 1024 * 1024 / 300);
      pg.sql(db, "CREATE TABLE orders (id bigint PRIMARY KEY, customer int NOT NULL, amount numeric(10,2), note text)",
          "INSERT INTO orders SELECT g, g % 5000, (g % 10000) / 100.0, 'order ' || g || ' ' || md5(g::text)"
              + " FROM generate_series(1, " + orders + ") g",
          "CREATE TABLE events (id bigint PRIMARY KEY, payload text)",
          "INSERT INTO events SELECT g, repeat(md5(g::text), 7) FROM generate_series(1, " + fillerRows + ") g",
          "VACUUM ANALYZE", "CHECKPOINT");
      String size = pg.rows(db, "SELECT pg_size_pretty(pg_database_size('bench'))").get(0);
      System.out.printf("loaded %s (orders %,d rows, events %,d rows) in %.1f s%n", size, orders, fillerRows, secs(t));

      PointInTimeRecovery pitr = pg.pitr(db).withServerTimeout(Duration.ofMinutes(20)).build();
      t = System.nanoTime();
      BaseBackup backup = pitr.takeBaseBackup();
      System.out.printf("base backup %s: %d MB, taken and verified in %.1f s%n", backup.name(), backup.bytes() >> 20, secs(t));

      t = System.nanoTime();
      RestorePoint rp = pitr.createRestorePoint("bench-before-release", "orders");
      System.out.printf("restore point %s at %s with the fingerprint of orders in %.2f s%n", rp.name(), rp.lsn(), secs(t));
      pg.sql(db, "UPDATE orders SET amount = 0, note = 'bad backfill' WHERE id % 100 = 0",
          "INSERT INTO orders SELECT g, 1, 1.00, 'written after the release' FROM generate_series(" + (orders + 1) + ", "
              + (orders + 10_000) + ") g", "SELECT pg_switch_wal()");

      List<Double> hand = new ArrayList<>();
      List<Double> ours = new ArrayList<>();
      List<Double> oursRecovery = new ArrayList<>();
      SideBySideRestore last = null;
      for (int i = 1; i <= rounds; i++) {
        double h = byHand(pg, backup, rp, i);
        hand.add(h);
        SideBySideRestore restore = pitr.sideBySide(RecoveryTarget.restorePoint(rp.name())).named("ours-" + i)
            .copyingRowsWhere("orders", "false").keepingCopyRunning().build();
        t = System.nanoTime();
        SideBySideRestore.Result r = restore.run();
        double o = secs(t);
        ours.add(o);
        oursRecovery.add(r.recovery().toNanos() / 1e9);
        System.out.printf("round %d: by hand %.2f s; ours %.2f s in all: recovery %.2f s (%.2fx), fingerprint check %.2f s%n", i,
            h, o, r.recovery().toNanos() / 1e9, r.recovery().toNanos() / 1e9 / h, r.verification().toNanos() / 1e9);
        if (last != null) pitr.instance(last.name()).stop();
        last = restore;
      }
      System.out.printf("recovery of %s: by hand %s s; ours to the promoted copy %s s (median ratio %.2f),"
              + " with the fingerprint check %s s (median ratio %.2f)%n", size, fmt(hand), fmt(oursRecovery),
          median(oursRecovery) / median(hand), fmt(ours), median(ours) / median(hand));

      // copy orders back from our last recovered copy, then the dump way on the same live database
      RecoveredInstance copy = pitr.instance(last.name());
      SideBySideRestore back = pitr.sideBySide(RecoveryTarget.restorePoint(rp.name())).named(last.name())
          .copyingTable("orders").keepingCopyRunning().build();
      t = System.nanoTime();
      SideBySideRestore.TableResult tr = back.run().tables().get(0);
      double oursCopy = secs(t);
      System.out.printf("our copy back: %.2f s: %s%n", oursCopy, tr.summary());
      long keptOurs = Long.parseLong(pg.rows(db, "SELECT count(*) FROM orders WHERE note = 'written after the release'").get(0));
      Path dump = pg.dir.resolve("orders.dump");
      t = System.nanoTime();
      ArchivingPostgres.run(List.of(ArchivingPostgres.BIN.resolve("pg_dump").toString(), "-h", "127.0.0.1", "-p",
          String.valueOf(copy.port()), "-U", "rollback", "-d", db, "-t", "orders", "-Fc", "-f", dump.toString()), true,
          Map.of("PGPASSWORD", pg.password));
      double dumpSecs = secs(t);
      t = System.nanoTime();
      ArchivingPostgres.run(List.of(ArchivingPostgres.BIN.resolve("pg_restore").toString(), "-h", "127.0.0.1", "-p",
          String.valueOf(pg.port), "-U", "rollback", "-d", db, "--clean", "--if-exists", dump.toString()), true,
          Map.of("PGPASSWORD", pg.password));
      double restoreSecs = secs(t);
      long keptDump = Long.parseLong(pg.rows(db, "SELECT count(*) FROM orders WHERE note = 'written after the release'").get(0));
      System.out.printf("copy of orders back: ours %.2f s, pg_dump -t + pg_restore %.2f + %.2f = %.2f s: %.2fx;"
              + " later inserts kept: ours %,d of 10,000, dump %,d%n", oursCopy, dumpSecs, restoreSecs, dumpSecs + restoreSecs,
          oursCopy / (dumpSecs + restoreSecs), keptOurs, keptDump);
      pitr.instance(last.name()).stop();
    }
  }

  /** The recovery as a person does it: copy, configure, start, wait until promoted. */
  private static double byHand(ArchivingPostgres pg, BaseBackup backup, RestorePoint rp, int round) throws Exception {
    Path dir = pg.dir.resolve("hand-" + round);
    Path data = dir.resolve("data");
    Files.createDirectories(dir.resolve("sock"));
    if (ArchivingPostgres.ROOT) ArchivingPostgres.run(List.of("chown", "-R", "postgres:", dir.toString()), false);
    int port = Processes.freeLoopbackPort();
    long t = System.nanoTime();
    ArchivingPostgres.run(List.of("cp", "-a", backup.directory().toString(), data.toString()), true);
    Files.writeString(data.resolve("recovery.signal"), "");
    Files.writeString(data.resolve("postgresql.auto.conf"), "restore_command = 'cp " + pg.archive + "/%f %p'\n"
        + "recovery_target_name = '" + rp.name() + "'\nrecovery_target_action = 'promote'\narchive_mode = 'off'\nfsync = 'off'\n",
        StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
    if (ArchivingPostgres.ROOT) ArchivingPostgres.run(List.of("chown", "-R", "postgres:", data.toString()), false);
    ArchivingPostgres.run(List.of(ArchivingPostgres.BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-l",
        dir.resolve("log").toString(), "-o", "-p " + port + " -k " + dir.resolve("sock") + " -c listen_addresses=127.0.0.1",
        "start"), true);
    PgLogin login = pg.login("bench").at("127.0.0.1", port);
    Instant deadline = Instant.now().plus(Duration.ofMinutes(20));
    while (true) {
      try (Connection c = login.dataSource().getConnection(); Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery()")) {
        rs.next();
        if (!rs.getBoolean(1)) break;
      } catch (SQLException e) {
        // starting up, or still recovering
      }
      if (Instant.now().isAfter(deadline)) throw new IllegalStateException("the hand recovery in " + data + " did not finish");
      Thread.sleep(20);
    }
    double s = secs(t);
    ArchivingPostgres.run(List.of(ArchivingPostgres.BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "stop"),
        true);
    return s;
  }

  private static String fmt(List<Double> xs) {
    return String.join(" / ", xs.stream().map(x -> String.format("%.2f", x)).toList());
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    s.sort(null);
    return s.get(s.size() / 2);
  }

  private static double secs(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
