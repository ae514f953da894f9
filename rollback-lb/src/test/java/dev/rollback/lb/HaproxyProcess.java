package dev.rollback.lb;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy (Debian's 2.6) started by a test: config in a temp dir, frontend and TCP runtime
 * API on free loopback ports, admin unix socket in a 0700 directory, server-state file for reloads.
 * Runs in the foreground as a child process and is stopped by its pid.
 *
 * <p>Shared, with {@link TestBackend} and {@link Ports}: this module's test-jar carries them to
 * rollback-cli's end-to-end tests.
 */
public final class HaproxyProcess implements AutoCloseable {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private final Path dir;
  private final Path config;
  private final int frontendPort;
  private final int adminPort;
  private Process process;

  private HaproxyProcess(Path dir, String backendBody) throws IOException {
    this.dir = dir;
    this.frontendPort = Ports.free();
    this.adminPort = Ports.free();
    Path run = dir.resolve("run");
    Files.createDirectories(run);
    Files.setPosixFilePermissions(run, PosixFilePermissions.fromString("rwx------"));
    StringBuilder cfg = new StringBuilder();
    cfg.append("global\n")
        .append("  stats socket ").append(socket()).append(" mode 600 level admin\n")
        .append("  stats socket ipv4@127.0.0.1:").append(adminPort).append(" level admin\n")
        .append("  server-state-file ").append(stateFile()).append("\n")
        .append("defaults\n  mode http\n  timeout connect 1s\n  timeout client 10s\n  timeout server 10s\n  timeout check 5s\n")
        .append("  load-server-state-from-file global\n")
        .append("frontend fe\n  bind 127.0.0.1:").append(frontendPort).append("\n  default_backend app\n")
        .append("backend app\n").append(backendBody);
    this.config = dir.resolve("haproxy.cfg");
    Files.writeString(config, cfg);
    this.process = launch(null);
    awaitReady();
  }

  /**
   * Waits until HAProxy accepts connections on its admin socket, its TCP runtime API and its
   * frontend: the socket file exists a moment before HAProxy listens on it, and a loaded machine
   * makes that moment long enough for a first command to be refused.
   */
  private void awaitReady() {
    await("haproxy listening on " + socket() + ", 127.0.0.1:" + adminPort + " and 127.0.0.1:" + frontendPort)
        .atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
        .until(() -> accepts(java.net.UnixDomainSocketAddress.of(socket()))
            && accepts(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), adminPort))
            && accepts(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), frontendPort)));
  }

  private static boolean accepts(java.net.SocketAddress address) {
    try (java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(
        address instanceof java.net.UnixDomainSocketAddress ? java.net.StandardProtocolFamily.UNIX : java.net.StandardProtocolFamily.INET)) {
      return ch.connect(address);
    } catch (IOException e) {
      return false;
    }
  }

  /** Starts HAProxy in front of {@code servers} (name to port) with the given initial weights (100 if absent). */
  public static HaproxyProcess start(Path dir, Map<String, Integer> servers, Map<String, Integer> weights)
      throws IOException {
    StringBuilder body = new StringBuilder("  balance roundrobin\n  option httpchk GET /health\n");
    servers.forEach((name, port) -> body.append("  server ").append(name).append(" 127.0.0.1:").append(port)
        .append(" weight ").append(weights.getOrDefault(name, 100)).append(" check inter 300ms\n"));
    return new HaproxyProcess(dir, body.toString());
  }

  /** Starts HAProxy with {@code backendBody} as the body of {@code backend app} (balance, options, server lines). */
  public static HaproxyProcess withBackend(Path dir, String backendBody) throws IOException {
    return new HaproxyProcess(dir, backendBody);
  }

  /** The servers of {@code backends}, name to port, in the order given: for {@link #start}. */
  public static Map<String, Integer> servers(TestBackend... backends) {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (TestBackend b : backends) m.put(b.name(), b.port());
    return m;
  }

  private Process launch(Long oldPid) throws IOException {
    ProcessBuilder pb = oldPid == null
        ? new ProcessBuilder("haproxy", "-db", "-f", config.toString())
        : new ProcessBuilder("haproxy", "-db", "-f", config.toString(), "-sf", Long.toString(oldPid));
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("haproxy.log").toFile()));
    Process p = pb.start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    return p;
  }

  public Path socket() {
    return dir.resolve("run").resolve("admin.sock");
  }

  public Path stateFile() {
    return dir.resolve("server-state");
  }

  public int frontendPort() {
    return frontendPort;
  }

  public int adminPort() {
    return adminPort;
  }

  public long pid() {
    return process.pid();
  }

  public String log() throws IOException {
    Path log = dir.resolve("haproxy.log");
    return Files.exists(log) ? Files.readString(log) : "";
  }

  /** A new HAProxy process on the same config takes over ({@code -sf OLDPID}); the old one finishes and exits. */
  public void reload() throws IOException, InterruptedException {
    Process old = process;
    process = launch(old.pid());
    if (!old.waitFor(HANG_GUARD.toSeconds(), TimeUnit.SECONDS)) {
      throw new IllegalStateException("old haproxy " + old.pid() + " did not exit");
    }
    awaitReady();
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(5, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
