package dev.rollback.test;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A loopback HTTP server that answers every request with one status and a body echoing the
 * request back — method, raw path and query, the decoded path, every header (sorted by name), the
 * body — as a
 * careless relay or proxy does in its error pages. Point a module's client at it to prove that no
 * secret it sends (in the URL, a header or the body) comes back into a journal, a report, an
 * exception or a log line. Binds 127.0.0.1 on a free port; {@link #close()} stops it.
 *
 * <pre>{@code
 * try (EchoingHttpServer echo = EchoingHttpServer.start(500)) {
 *   FlagStore store = UnleashFlagStore.builder(echo.uri(), token).build();
 *   ...
 * }
 * }</pre>
 */
public final class EchoingHttpServer implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor;
  private final int status;
  private final List<String> requests = new CopyOnWriteArrayList<>();

  private EchoingHttpServer(HttpServer server, ExecutorService executor, int status) {
    this.server = server;
    this.executor = executor;
    this.status = status;
  }

  /** Starts on 127.0.0.1 on a free port, answering {@code status} (e.g. 401, 500) to everything. */
  public static EchoingHttpServer start(int status) {
    if (status < 200 || status > 599) throw new IllegalArgumentException("status must be an HTTP status 200..599: " + status);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start an echoing HTTP server on 127.0.0.1", e);
    }
    ExecutorService executor = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "echoing-http-server");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    EchoingHttpServer echo = new EchoingHttpServer(server, executor, status);
    server.createContext("/", echo::handle);
    server.start();
    return echo;
  }

  /** {@code http://127.0.0.1:<port>/}. */
  public URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
  }

  /** The echo of every request answered so far, in order. */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      StringBuilder b = new StringBuilder("cannot handle ").append(ex.getRequestMethod()).append(' ')
          .append(ex.getRequestURI().getRawPath());
      if (ex.getRequestURI().getRawQuery() != null) b.append('?').append(ex.getRequestURI().getRawQuery());
      b.append(" (decoded: ").append(ex.getRequestURI().getPath()).append(")\n");
      new java.util.TreeMap<>(ex.getRequestHeaders())
          .forEach((k, v) -> b.append(k).append(": ").append(String.join(", ", v)).append('\n'));
      String echo = b.append('\n').append(body).toString();
      requests.add(echo);
      byte[] bytes = echo.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "EchoingHttpServer[" + uri() + ", answers " + status + "]";
  }
}
