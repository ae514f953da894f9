package dev.rollback.lb;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real NGINX (Debian's 1.22) started by a test: {@code -c CONF -p PREFIX} in a temp dir, in the
 * foreground ({@code daemon off}) as a child process, listening on a free loopback port, with the
 * upstream block in its own included file and an empty {@code extra.conf} include a test can break.
 * Stopped by its pid.
 */
public final class NginxProcess implements AutoCloseable {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private final Path dir;
  private final int port;
  private final Process process;

  private NginxProcess(Path dir, String upstreamsText, String proxyPass) throws IOException {
    this.dir = dir;
    this.port = Ports.free();
    Files.writeString(upstreams(), upstreamsText);
    Files.writeString(extra(), "");
    String conf = "worker_processes 1;\n"
        + "daemon off;\n"
        + "pid " + pidFile() + ";\n"
        + "error_log " + errorLog() + " notice;\n"
        + "events { worker_connections 1024; }\n"
        + "http {\n"
        + "  access_log off;\n"
        + "  include " + upstreams() + ";\n"
        + "  include " + extra() + ";\n"
        + "  server {\n"
        + "    listen 127.0.0.1:" + port + ";\n"
        + "    location / { proxy_pass " + proxyPass + "; }\n"
        + "  }\n"
        + "}\n";
    Files.writeString(config(), conf);
    ProcessBuilder pb = new ProcessBuilder("nginx", "-c", config().toString(), "-p", dir.toString());
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nginx.out").toFile()));
    this.process = pb.start();
    Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly));
    await("nginx pid file " + pidFile()).atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
        .until(() -> Files.exists(pidFile()) && ProcessHandle.of(process.pid()).map(ph -> ph.children().count() > 0)
            .orElse(false));
  }

  public static NginxProcess start(Path dir, Map<String, Integer> servers, Map<String, Integer> weights)
      throws IOException {
    StringBuilder up = new StringBuilder("upstream app {\n");
    servers.forEach((name, p) -> {
      int w = weights.getOrDefault(name, 100);
      up.append("    server 127.0.0.1:").append(p).append(w > 0 ? " weight=" + w : " down")
          .append(" max_fails=0; # rollback-lb name=").append(name).append(" weight=").append(w)
          .append(" admin=READY\n");
    });
    up.append("}\n");
    return new NginxProcess(dir, up.toString(), "http://app");
  }

  /**
   * Starts NGINX with one upstream per server and a sticky {@code split_clients} on the
   * {@code X-User} header, {@code $app}, initially sending everyone to {@code first}.
   */
  public static NginxProcess startSplit(Path dir, Map<String, Integer> servers, String first) throws IOException {
    StringBuilder up = new StringBuilder();
    servers.forEach((name, p) -> up.append("upstream ").append(name).append(" { server 127.0.0.1:").append(p)
        .append("; }\n"));
    up.append("split_clients \"${http_x_user}\" $app {\n");
    servers.keySet().stream().filter(n -> !n.equals(first))
        .forEach(n -> up.append("    # rollback-lb name=").append(n).append(" weight=0 admin=READY\n"));
    up.append("    * ").append(first).append("; # rollback-lb name=").append(first).append(" weight=100 admin=READY\n");
    up.append("}\n");
    return new NginxProcess(dir, up.toString(), "http://$app");
  }

  public Path config() { return dir.resolve("nginx.conf"); }
  public Path upstreams() { return dir.resolve("upstreams.conf"); }
  public Path extra() { return dir.resolve("extra.conf"); }
  public Path pidFile() { return dir.resolve("nginx.pid"); }
  public Path errorLog() { return dir.resolve("error.log"); }
  public Path prefix() { return dir; }
  public int port() { return port; }

  /** A router for this instance, confirming reloads by its pid file and error log. */
  public NginxRouter router() {
    return NginxRouter.of(config(), upstreams()).withPrefix(dir).withPidFile(pidFile()).withErrorLog(errorLog());
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy(); // SIGTERM: fast shutdown of master and workers
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
