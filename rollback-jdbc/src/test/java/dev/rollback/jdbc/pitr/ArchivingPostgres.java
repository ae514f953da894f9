package dev.rollback.jdbc.pitr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A PostgreSQL 15 cluster of its own with WAL archiving to a local directory, for the
 * point-in-time recovery tests: initdb (1 MB WAL segments, so a test archives little) into a 0700
 * temp dir as the {@code postgres} user when the tests run as root, started with {@code pg_ctl} on
 * a free 127.0.0.1 port with a random password (scram-sha-256), its unix socket in a 0700 dir,
 * {@code archive_mode = on} and an {@code archive_command} that copies into {@code archive/}.
 * Next to it: {@code backups/} and {@code work/} for the library. {@link #close()} stops every
 * server this test started on its directories (the live one and recovered copies) by pid and
 * deletes the directory.
 */
final class ArchivingPostgres implements AutoCloseable {
  static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
  static final boolean ROOT = "root".equals(System.getProperty("user.name"));
  static final String OS_USER = ROOT ? "postgres" : System.getProperty("user.name");
  final Path dir;
  final Path data;
  final Path archive;
  final Path backups;
  final Path work;
  final int port;
  final String password;

  private ArchivingPostgres(Path dir, int port, String password) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.archive = dir.resolve("archive");
    this.backups = dir.resolve("backups");
    this.work = dir.resolve("work");
    this.port = port;
    this.password = password;
  }

  static ArchivingPostgres start(boolean archiving) throws Exception {
    Path dir = Files.createTempDirectory("rollback-pitr", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    byte[] rnd = new byte[16];
    new SecureRandom().nextBytes(rnd);
    String password = HexFormat.of().formatHex(rnd);
    ArchivingPostgres pg = new ArchivingPostgres(dir, Processes.freeLoopbackPort(), password);
    Files.createDirectories(dir.resolve("sock"));
    Files.createDirectories(pg.archive);
    Files.writeString(dir.resolve("pw"), password + "\n", StandardCharsets.UTF_8);
    if (ROOT) run(List.of("chown", "-R", "postgres:postgres", dir.toString()), false);
    run(List.of(BIN.resolve("initdb").toString(), "-D", pg.data.toString(), "-U", "rollback", "--pwfile=" + dir.resolve("pw"),
        "-A", "scram-sha-256", "-E", "UTF8", "--wal-segsize=1", "--no-instructions"), true);
    Files.delete(dir.resolve("pw"));
    String archiveSettings = archiving
        ? " -c archive_mode=on -c archive_command='test ! -f " + pg.archive + "/%f && cp %p " + pg.archive + "/%f'"
        : "";
    run(List.of(BIN.resolve("pg_ctl").toString(), "-D", pg.data.toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60",
        "-o", "-p " + pg.port + " -k " + dir.resolve("sock") + " -c listen_addresses=127.0.0.1 -c fsync=off"
            + " -c synchronous_commit=off -c wal_level=replica" + archiveSettings, "start"), true);
    return pg;
  }

  PgLogin login(String database) {
    return new PgLogin("127.0.0.1", port, database, "rollback", password);
  }

  PointInTimeRecovery.Builder pitr(String database) {
    return PointInTimeRecovery.builder(login(database))
        .withWalArchive(archive)
        .withBaseBackups(backups)
        .withWorkDirectory(work)
        .runningServersAs(OS_USER)
        .withArchiveTimeout(java.time.Duration.ofSeconds(20))
        .withServerTimeout(java.time.Duration.ofSeconds(60))
        .withRecoveredCopySetting("fsync", "off"); // as the live test server
  }

  /** A new database with the orders and customers tables. */
  String newShop(String name) throws SQLException {
    sql("postgres", "CREATE DATABASE " + name + " STRATEGY FILE_COPY"); // a WAL record, not the template's pages
    sql(name, "CREATE TABLE customers (id int PRIMARY KEY, name text NOT NULL)",
        "CREATE TABLE orders (id int PRIMARY KEY, customer int NOT NULL, amount numeric(10,2), note text)",
        "INSERT INTO customers SELECT g, 'customer ' || g FROM generate_series(1, 20) g",
        "INSERT INTO orders SELECT g, 1 + g % 20, g * 1.25, 'order ' || g FROM generate_series(1, 200) g");
    return name;
  }

  void sql(String database, String... statements) throws SQLException {
    try (Connection c = login(database).dataSource().getConnection(); Statement st = c.createStatement()) {
      for (String s : statements) st.execute(s);
    }
  }

  List<String> rows(String database, String query) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = login(database).dataSource().getConnection(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery(query)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder sb = new StringBuilder();
        for (int i = 1; i <= n; i++) sb.append(i > 1 ? "|" : "").append(rs.getString(i));
        out.add(sb.toString());
      }
    }
    return out;
  }

  /** The postmaster pids running on any data directory under this test's directory. */
  List<Long> postmasters() throws IOException {
    return java.util.List.copyOf(running().values());
  }

  /** Data directory → pid of the postmaster running on it, for every one under this test's directory. */
  java.util.Map<Path, Long> running() throws IOException {
    java.util.Map<Path, Long> out = new java.util.LinkedHashMap<>();
    try (Stream<Path> files = Files.walk(dir, 4)) {
      for (Path pidFile : files.filter(p -> p.getFileName().toString().equals("postmaster.pid")).toList()) {
        try {
          long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
          if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) out.put(pidFile.getParent(), pid);
        } catch (IOException | RuntimeException e) {
          // a pid file being written or removed
        }
      }
    }
    return out;
  }

  @Override
  public void close() throws Exception {
    for (var e : running().entrySet()) {
      try {
        run(List.of(BIN.resolve("pg_ctl").toString(), "stop", "-D", e.getKey().toString(), "-m", "fast", "-w", "-t", "30"), true);
      } catch (Exception failed) {
        ProcessHandle.of(e.getValue()).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    }
  }

  static void run(List<String> command, boolean asPostgres) throws Exception {
    run(command, asPostgres, java.util.Map.of());
  }

  static void run(List<String> command, boolean asPostgres, java.util.Map<String, String> env) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres && ROOT) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(command);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().putAll(env);
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + cmd);
    }
    if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
  }
}
