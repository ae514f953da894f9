package dev.rollback.lb;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A real HTTP backend in the test JVM on a free loopback port: answers business requests with 200
 * and its name (header {@code X-Served-By}), or with 500 once {@link #failBusinessRequests} is on;
 * {@code /health} stays 200 either way. It echoes a request's {@code X-Request-Id} and keeps every
 * id it served, so a test can tell which backend answered which request.
 */
public final class TestBackend implements AutoCloseable {
  private final String name;
  private final HttpServer server;
  private final ExecutorService executor;
  private final AtomicBoolean failing = new AtomicBoolean();
  private final AtomicLong business = new AtomicLong();
  private final java.util.Queue<String> servedIds = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private volatile java.util.function.IntConsumer onBusiness = status -> {};

  private TestBackend(String name) throws IOException {
    this.name = name;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    this.executor = Executors.newFixedThreadPool(16, r -> {
      Thread t = new Thread(r, "backend-" + name);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public static TestBackend start(String name) throws IOException {
    return new TestBackend(name);
  }

  public TestBackend failBusinessRequests(boolean fail) {
    failing.set(fail);
    return this;
  }

  /** Called with the status of every business request, e.g. to feed the application's request recorder. */
  public TestBackend onBusinessRequest(java.util.function.IntConsumer listener) {
    this.onBusiness = listener;
    return this;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String name() {
    return name;
  }

  public long businessRequests() {
    return business.get();
  }

  /** The request ids this backend answered (every one, in the order answered) that start with {@code prefix}. */
  public java.util.List<String> servedIds(String prefix) {
    return servedIds.stream().filter(id -> id.startsWith(prefix)).toList();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      boolean health = ex.getRequestURI().getPath().equals("/health");
      if (!health) business.incrementAndGet();
      int code = !health && failing.get() ? 500 : 200;
      byte[] body = (name + (code == 200 ? "" : " error") + "\n").getBytes(StandardCharsets.US_ASCII);
      ex.getResponseHeaders().add("X-Served-By", name);
      String id = ex.getRequestHeaders().getFirst("X-Request-Id");
      if (id != null) {
        ex.getResponseHeaders().add("X-Request-Id", id);
        if (!health) servedIds.add(id);
      }
      if (!health) onBusiness.accept(code);
      ex.sendResponseHeaders(code, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
