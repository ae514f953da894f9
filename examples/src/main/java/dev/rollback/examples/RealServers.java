package dev.rollback.examples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The real servers of {@code ./demo.sh --real}: a PostgreSQL 15 cluster and an HAProxy, each
 * started by the drill in its own temporary directory on loopback, and stopped by the drill
 * (PostgreSQL with {@code pg_ctl stop -m fast}, HAProxy by its pid), also when the JVM is
 * interrupted. Both come from Debian's packages, which {@code ./test.sh} installs.
 */
final class RealServers {
  static final Path PG_BIN = Path.of("/usr/lib/postgresql/15/bin");

  private RealServers() {}

  /** What is missing for the real drill, in words; empty when everything is there. */
  static List<String> missing() {
    List<String> missing = new ArrayList<>();
    for (String b : List.of("initdb", "pg_ctl", "postgres")) {
      if (!Files.isExecutable(PG_BIN.resolve(b))) missing.add("PostgreSQL 15 (" + PG_BIN.resolve(b) + ")");
    }
    if (haproxy().isEmpty()) missing.add("HAProxy (haproxy on the PATH or in /usr/sbin)");
    return missing.stream().distinct().toList();
  }

  static Optional<Path> haproxy() {
    List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
    dirs.addAll(List.of("/usr/sbin", "/sbin"));
    return dirs.stream().filter(d -> !d.isBlank()).map(d -> Path.of(d, "haproxy")).filter(Files::isExecutable).findFirst();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }

  static Path privateTempDir(String prefix) throws IOException {
    return Files.createTempDirectory(prefix, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
    } catch (IOException e) {
      System.err.println("could not delete " + dir + ": " + e.getMessage());
    }
  }

  /**
   * A PostgreSQL 15 cluster: initdb into a 0700 temp dir (as the {@code postgres} user when the
   * drill runs as root, since initdb refuses root), started with {@code pg_ctl} on a free
   * 127.0.0.1 port with a random password (scram-sha-256, never trust) and its unix socket in a
   * 0700 directory.
   */
  static final class Postgres implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final String password;
    private final boolean asPostgres;
    private boolean stopped;
    private final Thread hook = new Thread(this::close, "drill-postgres-stop");

    private Postgres(Path dir, int port, String password, boolean asPostgres) {
      this.dir = dir;
      this.port = port;
      this.password = password;
      this.asPostgres = asPostgres;
    }

    static Postgres start() throws Exception {
      Path dir = privateTempDir("rollback-drill-pg");
      Path sock = dir.resolve("sock");
      Files.createDirectory(sock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      byte[] rnd = new byte[16];
      new SecureRandom().nextBytes(rnd);
      String password = HexFormat.of().formatHex(rnd);
      Path pwfile = dir.resolve("pw");
      Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) run(List.of("chown", "-R", "postgres:postgres", dir.toString()), dir, false);
      Postgres pg = new Postgres(dir, freePort(), password, root);
      Runtime.getRuntime().addShutdownHook(pg.hook);
      try {
        run(List.of(PG_BIN.resolve("initdb").toString(), "-D", pg.data().toString(), "-U", "rollback", "--pwfile=" + pwfile,
            "-A", "scram-sha-256", "-E", "UTF8", "--no-instructions"), dir, root);
        Files.deleteIfExists(pwfile);
        run(List.of(PG_BIN.resolve("pg_ctl").toString(), "-D", pg.data().toString(), "-l", dir.resolve("log").toString(), "-w",
            "-t", "60", "-o", "-p " + pg.port + " -k " + sock + " -c listen_addresses=127.0.0.1", "start"), dir, root);
        try (Connection c = pg.dataSource("postgres").getConnection(); Statement st = c.createStatement()) {
          st.execute("CREATE DATABASE checkout");
        }
      } catch (Exception e) {
        pg.close();
        throw e;
      }
      return pg;
    }

    private Path data() {
      return dir.resolve("data");
    }

    int port() {
      return port;
    }

    PGSimpleDataSource dataSource(String database) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setServerNames(new String[] {"127.0.0.1"});
      ds.setPortNumbers(new int[] {port});
      ds.setDatabaseName(database);
      ds.setUser("rollback");
      ds.setPassword(password);
      return ds;
    }

    @Override
    public synchronized void close() {
      if (stopped) return;
      stopped = true;
      forgetHook(hook);
      if (Files.exists(data().resolve("postmaster.pid"))) {
        try {
          run(List.of(PG_BIN.resolve("pg_ctl").toString(), "-D", data().toString(), "-m", "fast", "-w", "stop"), dir, asPostgres);
        } catch (Exception e) {
          System.err.println("stopping PostgreSQL in " + data() + " failed: " + e.getMessage());
        }
      }
      deleteTree(dir);
    }
  }

  /**
   * An HAProxy in front of the checkout servers: config in a 0700 temp dir, the frontend on a free
   * loopback port, the admin runtime API on a unix socket in a 0700 directory, health checks of
   * {@code GET /health} every 200 ms. Runs in the foreground as a child of the drill and is
   * stopped by its pid.
   */
  static final class Haproxy implements AutoCloseable {
    private final Path dir;
    private final int frontendPort;
    private final Process process;
    private final Thread hook = new Thread(this::close, "drill-haproxy-stop");

    private Haproxy(Path dir, int frontendPort, Process process) {
      this.dir = dir;
      this.frontendPort = frontendPort;
      this.process = process;
    }

    /** Starts HAProxy with backend {@code backend}: its servers (name to loopback port) at the given weights (0 if absent). */
    static Haproxy start(String backend, Map<String, Integer> servers, Map<String, Integer> weights) throws Exception {
      Path bin = haproxy().orElseThrow(() -> new IllegalStateException("haproxy is not installed"));
      Path dir = privateTempDir("rollback-drill-haproxy");
      Path run = dir.resolve("run");
      Files.createDirectory(run, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      int port = freePort();
      StringBuilder cfg = new StringBuilder()
          .append("global\n  stats socket ").append(run.resolve("admin.sock")).append(" mode 600 level admin\n")
          .append("defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n  timeout check 1s\n")
          .append("frontend ").append(backend).append("\n  bind 127.0.0.1:").append(port).append("\n  default_backend ")
          .append(backend).append('\n')
          .append("backend ").append(backend).append("\n  balance roundrobin\n  option httpchk GET /health\n");
      servers.forEach((name, p) -> cfg.append("  server ").append(name).append(" 127.0.0.1:").append(p).append(" weight ")
          .append(weights.getOrDefault(name, 0)).append(" check inter 200ms fall 2 rise 2\n"));
      Path config = dir.resolve("haproxy.cfg");
      Files.writeString(config, cfg);
      Process p = new ProcessBuilder(bin.toString(), "-db", "-f", config.toString())
          .redirectErrorStream(true).redirectOutput(dir.resolve("haproxy.log").toFile()).start();
      Haproxy h = new Haproxy(dir, port, p);
      Runtime.getRuntime().addShutdownHook(h.hook);
      long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!Files.exists(h.socket())) {
        if (!p.isAlive() || System.nanoTime() > end) {
          String log = Files.exists(dir.resolve("haproxy.log")) ? Files.readString(dir.resolve("haproxy.log")) : "";
          h.close();
          throw new IllegalStateException("HAProxy did not start (config " + config + "): " + log.strip());
        }
        TimeUnit.MILLISECONDS.sleep(20);
      }
      return h;
    }

    Path socket() {
      return dir.resolve("run").resolve("admin.sock");
    }

    int frontendPort() {
      return frontendPort;
    }

    long pid() {
      return process.pid();
    }

    @Override
    public synchronized void close() {
      forgetHook(hook);
      if (process.isAlive()) {
        process.destroy();
        try {
          if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (Files.exists(dir)) deleteTree(dir);
    }
  }

  /** Removes a stop hook once the server was stopped the ordinary way (not from the hook itself, nor during shutdown). */
  private static void forgetHook(Thread hook) {
    if (Thread.currentThread() == hook) return;
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException | IllegalArgumentException e) {
      // the JVM is shutting down (the hook runs anyway and finds the server stopped), or it was never added
    }
  }

  private static void run(List<String> command, Path dir, boolean asPostgres) throws Exception {
    List<String> cmd = new ArrayList<>();
    if (asPostgres) cmd.addAll(List.of("runuser", "-u", "postgres", "--"));
    cmd.addAll(command);
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("timed out: " + String.join(" ", cmd));
    }
    if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out.strip());
  }
}
