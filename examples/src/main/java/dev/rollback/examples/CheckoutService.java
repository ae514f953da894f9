package dev.rollback.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.RequestRecorder.Outcome;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * One version of the drill's checkout service: an HTTP server on a loopback port with
 * {@code GET /checkout?user=ID} and {@code GET /health}. Version 2.4.0 has a new checkout path
 * behind the flag {@code new-checkout}, evaluated per user through an OpenFeature client; that
 * path fails (its payment client is broken), the old one works. The service records every
 * checkout, with its outcome and latency, in its own {@link RequestRecorder}: the signal a guard
 * of this version watches.
 */
final class CheckoutService implements AutoCloseable {
  static final String FLAG = "new-checkout";
  static final String VERSION_HEADER = "X-Checkout-Version";

  private final String version;
  private final boolean hasNewPath;
  private final Client flags;
  private final RequestRecorder requests;
  private final HttpServer server;
  private final ExecutorService threads;

  private CheckoutService(String version, boolean hasNewPath, Client flags, RequestRecorder requests, int port)
      throws IOException {
    this.version = version;
    this.hasNewPath = hasNewPath;
    this.flags = flags;
    this.requests = requests;
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    this.threads = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "checkout-" + version);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/health", ex -> answer(ex, 200, "ok " + version));
    server.createContext("/checkout", this::checkout);
    server.start();
  }

  /** Starts {@code version} on {@code port} (127.0.0.1); the new checkout path exists only when {@code hasNewPath}. */
  static CheckoutService start(String version, boolean hasNewPath, Client flags, RequestRecorder requests, int port)
      throws IOException {
    return new CheckoutService(Objects.requireNonNull(version, "version"), hasNewPath, Objects.requireNonNull(flags, "flags"),
        Objects.requireNonNull(requests, "requests"), port);
  }

  String version() {
    return version;
  }

  int port() {
    return server.getAddress().getPort();
  }

  URI health() {
    return URI.create("http://127.0.0.1:" + port() + "/health");
  }

  private void checkout(HttpExchange ex) throws IOException {
    long start = System.nanoTime();
    String user = user(ex.getRequestURI().getRawQuery());
    boolean newPath = hasNewPath && flags.getBooleanValue(FLAG, false, new ImmutableContext(user));
    // the new path's payment client cannot reach its provider: every checkout on it fails
    int status = newPath ? 500 : 200;
    requests.record(status >= 500 ? Outcome.FAILURE : Outcome.SUCCESS, System.nanoTime() - start);
    answer(ex, status, newPath ? "checkout " + version + " (new path) failed: payment provider unreachable"
        : "checkout " + version + " ok for " + user);
  }

  private static String user(String query) {
    if (query != null) {
      for (String kv : query.split("&")) {
        if (kv.startsWith("user=")) return kv.substring(5);
      }
    }
    return "anonymous";
  }

  private void answer(HttpExchange ex, int status, String text) throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set(VERSION_HEADER, version);
    ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  /** Stops at once and frees the port (the drill moves traffic away first). */
  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return "checkout " + version + " on 127.0.0.1:" + port();
  }
}
