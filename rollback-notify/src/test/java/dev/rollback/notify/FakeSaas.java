package dev.rollback.notify;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A local stand-in for a SaaS endpoint (Slack, PagerDuty, a webhook receiver): records every
 * request and replays scripted responses, the documented errors included; when the script is
 * empty it answers with the default. {@link #hang()} makes it never answer, until closed.
 */
final class FakeSaas implements AutoCloseable {
  record Recorded(String method, String path, Map<String, List<String>> headers, String body, String query) {
    String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse("");
    }
  }

  record Reply(int status, String body, Map<String, String> headers) {}

  private final HttpServer server;
  private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fake-saas");
    t.setDaemon(true);
    return t;
  });
  private final ConcurrentLinkedQueue<Reply> script = new ConcurrentLinkedQueue<>();
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private final CountDownLatch release = new CountDownLatch(1);
  private volatile Reply fallback;
  private volatile boolean hang;
  private volatile int echoStatus;
  private boolean closed;

  private FakeSaas(Reply fallback) throws IOException {
    this.fallback = fallback;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  static FakeSaas slack() throws IOException {
    return new FakeSaas(new Reply(200, "ok", Map.of("Content-Type", "text/plain")));
  }

  static FakeSaas pagerDuty() throws IOException {
    return new FakeSaas(new Reply(202, "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"x\"}",
        Map.of("Content-Type", "application/json")));
  }

  static FakeSaas webhook() throws IOException {
    return new FakeSaas(new Reply(204, "", Map.of()));
  }

  FakeSaas then(int status, String body, Map<String, String> headers) {
    script.add(new Reply(status, body, headers));
    return this;
  }

  FakeSaas then(int status, String body) {
    return then(status, body, Map.of());
  }

  FakeSaas always(int status, String body) {
    fallback = new Reply(status, body, Map.of());
    return this;
  }

  /**
   * Answers every request with {@code status} and a body that echoes the request back: method,
   * path and query, every header and the body, as a careless relay's error page does.
   */
  FakeSaas echoing(int status) {
    echoStatus = status;
    return this;
  }

  FakeSaas hang() {
    hang = true;
    return this;
  }

  URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
  }

  List<Recorded> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      requests.add(new Recorded(ex.getRequestMethod(), ex.getRequestURI().getPath(), Map.copyOf(ex.getRequestHeaders()), body,
          ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery()));
      if (hang) {
        try {
          release.await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return;
      }
      Reply r = script.poll();
      if (r == null) r = fallback;
      if (echoStatus != 0) r = new Reply(echoStatus, echo(ex, body), Map.of("Content-Type", "text/plain"));
      r.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
      byte[] bytes = r.body().getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(r.status(), bytes.length == 0 ? -1 : bytes.length);
      if (bytes.length > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    }
  }

  private static String echo(HttpExchange ex, String body) {
    StringBuilder b = new StringBuilder("cannot route ").append(ex.getRequestMethod()).append(' ')
        .append(ex.getRequestURI().getRawPath());
    if (ex.getRequestURI().getRawQuery() != null) b.append('?').append(ex.getRequestURI().getRawQuery());
    b.append(" (decoded: ").append(ex.getRequestURI()).append(")\n");
    ex.getRequestHeaders().forEach((k, v) -> b.append(k).append(": ").append(String.join(", ", v)).append('\n'));
    return b.append('\n').append(body).toString();
  }

  @Override
  public synchronized void close() {
    if (closed) return;
    closed = true;
    release.countDown();
    server.stop(0);
    executor.shutdownNow();
  }
}
