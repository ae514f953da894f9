package dev.rollback.jdbc;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL 15 for the test JVM: initdb into a temp dir (as the {@code postgres} user when
 * the tests run as root, since initdb refuses root), started with {@code pg_ctl} on a free
 * 127.0.0.1 port with a random password (scram-sha-256, never trust), its unix socket in a 0700
 * dir. One server per JVM, stopped with {@code pg_ctl stop -m fast} when the test run ends (JUnit
 * closes the root store) or by a shutdown hook. Each test class asks for a fresh database.
 *
 * <p>Shared: this module's test-jar carries it to rollback-cli's end-to-end tests.
 */
public final class PostgresServer implements BeforeAllCallback {
  private static final Path BIN = Path.of("/usr/lib/postgresql/15/bin");
  private static final AtomicInteger DATABASES = new AtomicInteger();
  private static Server server;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    start();
    context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
        .getOrComputeIfAbsent(PostgresServer.class, k -> new Stopper());
  }

  /** Closed by JUnit when the whole test run ends. */
  private static final class Stopper implements ExtensionContext.Store.CloseableResource, AutoCloseable {
    @Override
    public void close() {
      stop();
    }
  }

  public static synchronized Server start() throws Exception {
    if (server == null) {
      server = Server.boot();
      Runtime.getRuntime().addShutdownHook(new Thread(PostgresServer::stop, "postgres-stop"));
    }
    return server;
  }

  static synchronized void stop() {
    if (server != null) {
      server.shutdown();
      server = null;
    }
  }

  /** A new empty database on the shared server. */
  public static PGSimpleDataSource newDatabase() throws Exception {
    Server s = start();
    String name = "t" + ProcessHandle.current().pid() + "_" + DATABASES.incrementAndGet();
    try (Connection c = s.dataSource("postgres").getConnection(); Statement st = c.createStatement()) {
      st.execute("CREATE DATABASE " + name);
    }
    return s.dataSource(name);
  }

  /** One running cluster. */
  public static final class Server {
    final Path dir;
    final Path data;
    final int port;
    final String password;
    final boolean asPostgres;

    private Server(Path dir, int port, String password, boolean asPostgres) {
      this.dir = dir;
      this.data = dir.resolve("data");
      this.port = port;
      this.password = password;
      this.asPostgres = asPostgres;
    }

    static Server boot() throws Exception {
      Path dir = Files.createTempDirectory("rollback-pg", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Path sock = dir.resolve("sock");
      Files.createDirectory(sock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      byte[] rnd = new byte[16];
      new SecureRandom().nextBytes(rnd);
      String password = HexFormat.of().formatHex(rnd);
      Path pwfile = dir.resolve("pw");
      Files.writeString(pwfile, password + "\n", StandardCharsets.UTF_8);
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) run(List.of("chown", "-R", "postgres:postgres", dir.toString()), dir, false);
      int port;
      try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
        port = ss.getLocalPort();
      }
      Server s = new Server(dir, port, password, root);
      run(List.of(BIN.resolve("initdb").toString(), "-D", s.data.toString(), "-U", "rollback", "--pwfile=" + pwfile,
          "-A", "scram-sha-256", "-E", "UTF8", "--no-instructions"), dir, root);
      Files.deleteIfExists(pwfile);
      run(List.of(BIN.resolve("pg_ctl").toString(), "-D", s.data.toString(), "-l", dir.resolve("log").toString(), "-w", "-t", "60",
          "-o", "-p " + port + " -k " + sock + " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off"
              + " -c full_page_writes=off -c max_connections=200", "start"), dir, root);
      return s;
    }

    public PGSimpleDataSource dataSource(String database) {
      PGSimpleDataSource ds = new PGSimpleDataSource();
      ds.setServerNames(new String[] {"127.0.0.1"});
      ds.setPortNumbers(new int[] {port});
      ds.setDatabaseName(database);
      ds.setUser("rollback");
      ds.setPassword(password);
      return ds;
    }

    public int port() {
      return port;
    }

    /** The password of the {@code rollback} superuser, for client tools (PGPASSWORD). */
    public String password() {
      return password;
    }

    void shutdown() {
      try {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"), dir, asPostgres);
      } catch (Exception e) {
        System.err.println("stopping PostgreSQL in " + data + " failed: " + e.getMessage());
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
      } catch (IOException e) {
        System.err.println("cannot delete " + dir + ": " + e.getMessage());
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
        throw new IllegalStateException("timed out: " + cmd);
      }
      if (p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + out);
    }
  }

  static void execute(javax.sql.DataSource ds, String... sql) throws SQLException {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
      for (String s : sql) st.execute(s);
    }
  }
}
