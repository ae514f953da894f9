package dev.rollback.flags;

import io.getunleash.DefaultUnleash;
import io.getunleash.util.UnleashConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Unleash server (npm unleash-server 6.10.1, installed by scripts/setup/40-unleash.sh) on
 * its own PostgreSQL 15 cluster, both on 127.0.0.1 at free ports, both stopped by pid in
 * {@link #close()} (and a shutdown hook, which is what stops the {@link #shared()} one). PostgreSQL accepts only password logins on loopback and
 * its unix socket sits in a 0700 directory.
 */
public final class UnleashServer implements AutoCloseable {
  static final String VERSION = "6.10.1";
  private static final String PG_BIN = "/usr/lib/postgresql/15/bin";
  private static UnleashServer shared;

  public final URI baseUrl;
  public final String adminToken;
  public final String clientToken;
  private final Path dir;
  private final Path pgData;
  private final boolean asRoot;
  private final Process node;
  private final Thread hook;
  private volatile boolean closed;

  private UnleashServer(Path dir, Path pgData, boolean asRoot, Process node, URI baseUrl, String adminToken, String clientToken) {
    this.dir = dir;
    this.pgData = pgData;
    this.asRoot = asRoot;
    this.node = node;
    this.baseUrl = baseUrl;
    this.adminToken = adminToken;
    this.clientToken = clientToken;
    this.hook = new Thread(this::stopQuietly, "unleash-server-stop");
    Runtime.getRuntime().addShutdownHook(hook);
  }

  static Path home() {
    String env = System.getenv("ROLLBACK_UNLEASH_HOME");
    Path home = env != null && !env.isBlank() ? Paths.get(env)
        : Paths.get(System.getProperty("user.home"), ".cache", "rollback", "unleash-" + VERSION);
    if (!Files.isRegularFile(home.resolve("node_modules/unleash-server/package.json"))) {
      throw new IllegalStateException("unleash-server " + VERSION + " is not installed in " + home
          + ": run scripts/setup/40-unleash.sh (./test.sh does)");
    }
    return home;
  }

  /**
   * One server for every test class of this JVM that asks for it (a start takes 15–20 s), started
   * by the first; the shutdown hook stops it when the JVM exits. Each test class uses flags of its own.
   */
  public static synchronized UnleashServer shared() throws Exception {
    if (shared == null || shared.closed) shared = start();
    return shared;
  }

  public static UnleashServer start() throws Exception {
    Path home = home();
    boolean asRoot = "root".equals(System.getProperty("user.name"));
    Path dir = Files.createTempDirectory("rollback-unleash-");
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path pgData = dir.resolve("pgdata");
    Path socketDir = dir.resolve("pgsock");
    Files.createDirectory(socketDir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    String pgPassword = random();
    Path pwFile = dir.resolve("pgpass");
    Files.writeString(pwFile, pgPassword + "\n");
    if (asRoot) {
      run(List.of("chown", "postgres:postgres", socketDir.toString(), pwFile.toString(), dir.toString()), dir);
    }
    int pgPort = freePort();
    run(pg(asRoot, PG_BIN + "/initdb", "-D", pgData.toString(), "-U", "unleash", "--pwfile=" + pwFile,
        "-A", "scram-sha-256", "--no-sync"), dir);
    Files.delete(pwFile);
    run(pg(asRoot, PG_BIN + "/pg_ctl", "-D", pgData.toString(), "-w", "-t", "60", "-l", dir.resolve("pg.log").toString(),
        "-o", "-p " + pgPort + " -k " + socketDir + " -c listen_addresses=127.0.0.1 -c fsync=off", "start"), dir);

    int port = freePort();
    String adminToken = "*:*." + random();
    String clientToken = "*:development." + random();
    Path serverJs = dir.resolve("server.js");
    Files.writeString(serverJs, """
        const unleash = require(process.env.UNLEASH_HOME + '/node_modules/unleash-server');
        unleash.start({
          db: { host: '127.0.0.1', port: Number(process.env.PGPORT), user: 'unleash',
                password: process.env.PGPASSWORD, database: 'postgres', ssl: false },
          server: { host: '127.0.0.1', port: Number(process.env.UNLEASH_PORT) },
          authentication: { initApiTokens: [
            { environment: '*', project: '*', secret: process.env.ADMIN_TOKEN, type: 'admin', tokenName: 'rollback-admin' },
            { environment: 'development', project: '*', secret: process.env.CLIENT_TOKEN, type: 'client', tokenName: 'rollback-client' },
          ] },
          versionCheck: { enable: false },
          sendTelemetry: false,
          logLevel: 'warn',
        }).catch((e) => { console.error(e); process.exit(1); });
        """);
    ProcessBuilder pb = new ProcessBuilder("node", serverJs.toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(dir.resolve("unleash.log").toFile());
    Map<String, String> env = pb.environment();
    env.put("UNLEASH_HOME", home.toString());
    env.put("PGPORT", Integer.toString(pgPort));
    env.put("PGPASSWORD", pgPassword);
    env.put("UNLEASH_PORT", Integer.toString(port));
    env.put("ADMIN_TOKEN", adminToken);
    env.put("CLIENT_TOKEN", clientToken);
    env.put("CHECK_VERSION", "false");
    env.put("SEND_TELEMETRY", "false");
    env.put("DO_NOT_TRACK", "1");
    Process node = pb.start();
    URI base = URI.create("http://127.0.0.1:" + port + "/");
    UnleashServer server = new UnleashServer(dir, pgData, asRoot, node, base, adminToken, clientToken);
    try {
      server.awaitHealthy(Duration.ofSeconds(120));
    } catch (Exception e) {
      server.close();
      throw e;
    }
    return server;
  }

  private void awaitHealthy(Duration within) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      if (!node.isAlive()) {
        throw new IllegalStateException("unleash-server exited with " + node.exitValue() + ": " + log());
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(baseUrl.resolve("health")).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) return;
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) throw new IllegalStateException("unleash-server not healthy after " + within + ": " + log());
      node.waitFor(200, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * An Unleash SDK client of this server's client API, as an application would run it: fetching
   * the toggles every second (the shortest the SDK allows), once before it returns, without metrics.
   */
  public DefaultUnleash sdk(String appName, String instanceId) {
    return new DefaultUnleash(UnleashConfig.builder()
        .appName(appName).instanceId(instanceId)
        .unleashAPI(baseUrl.resolve("api/").toString())
        .apiKey(clientToken)
        .fetchTogglesInterval(1)
        .disableMetrics()
        .synchronousFetchOnInitialisation(true)
        .build());
  }

  String log() {
    try {
      String s = Files.readString(dir.resolve("unleash.log"));
      return s.length() > 4000 ? s.substring(s.length() - 4000) : s;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    stopQuietly();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
    } catch (IllegalStateException e) {
      // shutting down already
    }
  }

  private synchronized void stopQuietly() {
    if (closed) return;
    closed = true;
    try {
      node.destroy();
      if (!node.waitFor(10, TimeUnit.SECONDS)) node.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      if (Files.exists(pgData.resolve("postmaster.pid"))) {
        run(pg(asRoot, PG_BIN + "/pg_ctl", "-D", pgData.toString(), "-m", "fast", "-w", "stop"), dir);
      }
    } catch (Exception e) {
      System.err.println("could not stop the test PostgreSQL in " + pgData + ": " + e);
    }
    deleteTree(dir);
  }

  private static List<String> pg(boolean asRoot, String... cmd) {
    List<String> out = new ArrayList<>();
    if (asRoot) out.addAll(List.of("runuser", "-u", "postgres", "--"));
    out.addAll(List.of(cmd));
    return out;
  }

  private static void run(List<String> cmd, Path dir) throws IOException, InterruptedException {
    Path out = Files.createTempFile("rollback-cmd-", ".log");
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("timed out: " + cmd);
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(cmd + " exited with " + p.exitValue() + ": " + Files.readString(out));
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String random() {
    byte[] b = new byte[16];
    new SecureRandom().nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // best effort: a temp directory
        }
      });
    } catch (IOException e) {
      // best effort
    }
  }
}
