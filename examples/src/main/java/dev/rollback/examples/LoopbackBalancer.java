package dev.rollback.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollback.lb.Cutover;
import dev.rollback.lb.Operational;
import dev.rollback.lb.RouterException;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import dev.rollback.lb.TrafficRouter;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * The drill's embedded load balancer: an HTTP reverse proxy on a loopback port that spreads
 * requests over one backend's servers by weight (smooth weighted round robin, as NGINX does), and
 * a {@link TrafficRouter} so that {@code rollback-lb}'s {@code Traffic} steps read and change its
 * routing as they do HAProxy's. It keeps the router contract: unknown servers and weights out of
 * range are refused, a target that would leave no server taking traffic is refused unless the
 * cutover allows it, and the routing is read back after a change. Without {@code --real} the
 * drill routes through it; with it, through a real HAProxy.
 */
final class LoopbackBalancer implements TrafficRouter, AutoCloseable {
  static final int MAX_WEIGHT = 256;

  private final String backend;
  private final Map<String, Integer> ports;
  private final Map<String, ServerRoute> routes = new LinkedHashMap<>();
  private final Map<String, Integer> current = new LinkedHashMap<>();
  private final HttpServer server;
  private final ExecutorService threads;
  private final HttpClient client;

  private LoopbackBalancer(String backend, Map<String, Integer> ports, Map<String, Integer> weights) throws IOException {
    this.backend = backend;
    this.ports = Map.copyOf(ports);
    ports.keySet().forEach(name -> {
      routes.put(name, ServerRoute.ready(weights.getOrDefault(name, 0)));
      current.put(name, 0);
    });
    this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(1)).build();
    this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
    this.threads = Executors.newFixedThreadPool(8, r -> {
      Thread t = new Thread(r, "balancer-" + backend);
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(threads);
    server.createContext("/", this::forward);
    server.start();
  }

  /** A balancer for {@code backend} in front of {@code ports} (server name to loopback port), with initial weights (0 if absent). */
  static LoopbackBalancer start(String backend, Map<String, Integer> ports, Map<String, Integer> weights) throws IOException {
    return new LoopbackBalancer(Objects.requireNonNull(backend, "backend"), ports, weights);
  }

  /** Where clients send their requests. */
  URI frontend() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  @Override
  public String name() {
    return "loopback balancer " + frontend().getAuthority();
  }

  @Override
  public int maxWeight() {
    return MAX_WEIGHT;
  }

  @Override
  public synchronized RoutingState read(String backend) {
    requireBackend(backend, "read");
    Map<String, ServerRoute> observed = new LinkedHashMap<>();
    routes.forEach((name, r) -> observed.put(name, new ServerRoute(r.weight(), r.admin(), Operational.UNKNOWN)));
    return RoutingState.of(backend, observed);
  }

  @Override
  public synchronized RoutingState apply(RoutingState target, Cutover cutover) {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(cutover, "cutover");
    String attempted = "set " + target;
    requireBackend(target.backend(), attempted);
    RoutingState before = read(backend);
    Map<String, ServerRoute> after = new LinkedHashMap<>(routes);
    target.servers().forEach((name, r) -> {
      if (!routes.containsKey(name)) {
        throw new RouterException(name(), attempted, "backend " + backend + " has no server " + name + " (servers: "
            + routes.keySet() + ")", before, null);
      }
      if (r.weight() > MAX_WEIGHT) {
        throw new RouterException(name(), attempted, "weight " + r.weight() + " of " + name + " is above " + MAX_WEIGHT,
            before, null);
      }
      after.put(name, ServerRoute.of(r.weight(), r.admin()));
    });
    if (!cutover.zeroCapacityAllowed() && after.values().stream().noneMatch(ServerRoute::takesTraffic)) {
      throw new RouterException(name(), attempted, "no server would take traffic (every request would get 503)", before, null);
    }
    routes.putAll(after);
    RoutingState read = read(backend);
    if (!target.isSatisfiedBy(read)) {
      throw new RouterException(name(), attempted, "read back " + read + ", not the target", before, null);
    }
    return read;
  }

  private void requireBackend(String name, String attempted) {
    if (!backend.equals(name)) {
      throw new RouterException(name(), attempted, "this balancer serves backend " + backend + ", not " + name, null, null);
    }
  }

  /** Smooth weighted round robin over the servers that take traffic; null when none does. */
  private synchronized String pick() {
    int total = 0;
    String best = null;
    for (Map.Entry<String, ServerRoute> e : routes.entrySet()) {
      if (!e.getValue().takesTraffic()) continue;
      int w = e.getValue().weight();
      total += w;
      int c = current.merge(e.getKey(), w, Integer::sum);
      if (best == null || c > current.get(best)) best = e.getKey();
    }
    if (best != null) current.merge(best, -total, Integer::sum);
    return best;
  }

  private void forward(HttpExchange ex) throws IOException {
    String target = pick();
    if (target == null) {
      answer(ex, 503, "no server of " + backend + " takes traffic", null);
      return;
    }
    URI uri = URI.create("http://127.0.0.1:" + ports.get(target) + ex.getRequestURI());
    try {
      HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).GET().build(),
          HttpResponse.BodyHandlers.ofByteArray());
      answer(ex, r.statusCode(), r.body(), r.headers().firstValue(CheckoutService.VERSION_HEADER).orElse(null));
    } catch (IOException e) {
      answer(ex, 502, "server " + target + " of " + backend + " did not answer: " + e.getMessage(), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      answer(ex, 502, "interrupted", null);
    }
  }

  private static void answer(HttpExchange ex, int status, String text, @Nullable String version) throws IOException {
    answer(ex, status, text.getBytes(StandardCharsets.UTF_8), version);
  }

  private static void answer(HttpExchange ex, int status, byte[] body, @Nullable String version) throws IOException {
    if (version != null) ex.getResponseHeaders().set(CheckoutService.VERSION_HEADER, version);
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return name();
  }
}
