package dev.rollback.internal.detect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.internal.Durations;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.DoublePredicate;

/**
 * An instant query against the Prometheus HTTP API ({@code GET /api/v1/query?query=…}): DOWN
 * when any returned value is bad, UP when none is, UNKNOWN for an error answer, an empty result,
 * NaN, a non-numeric value or no answer.
 */
public final class PrometheusCheck implements HealthCheck, TimedCheck {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String name;
  private final URI server;
  private final String query;
  private final DoublePredicate isBad;
  private final Duration timeout;
  private volatile HttpClient client;

  public PrometheusCheck(String name, URI server, String query, DoublePredicate isBad, Duration timeout) {
    this.name = Objects.requireNonNull(name, "name");
    this.server = Objects.requireNonNull(server, "server");
    this.query = Objects.requireNonNull(query, "query");
    this.isBad = Objects.requireNonNull(isBad, "isBad");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    if (query.isBlank()) throw new IllegalArgumentException("check '" + name + "': query must not be blank");
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Duration timeout() {
    return timeout;
  }

  private HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        if (client == null) client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
        c = client;
      }
    }
    return c;
  }

  @Override
  public Health check() {
    long start = System.nanoTime();
    String base = server.toString().replaceAll("/+$", "");
    URI uri = URI.create(base + "/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
    CompletableFuture<HttpResponse<String>> f;
    HttpResponse<String> r;
    try {
      f = client().sendAsync(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(), HttpResponse.BodyHandlers.ofString());
      r = f.get(timeout.toMillis() + 50, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return health(HealthStatus.UNKNOWN, start, "Prometheus at " + server + " did not answer within " + Durations.human(timeout));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return health(HealthStatus.UNKNOWN, start, "interrupted while querying Prometheus");
    } catch (ExecutionException | RuntimeException e) {
      Throwable c = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      return health(HealthStatus.UNKNOWN, start, "cannot query Prometheus at " + server + ": " + c);
    }
    JsonNode root;
    try {
      root = JSON.readTree(r.body());
    } catch (JsonProcessingException e) {
      return health(HealthStatus.UNKNOWN, start, "Prometheus answered HTTP " + r.statusCode() + " with a body that is not JSON");
    }
    if (root == null || !"success".equals(root.path("status").asText())) {
      return health(HealthStatus.UNKNOWN, start, "Prometheus answered HTTP " + r.statusCode() + " with an error: "
          + root.path("errorType").asText("?") + ": " + root.path("error").asText("(no message)") + " for query " + query);
    }
    JsonNode data = root.path("data");
    String type = data.path("resultType").asText("");
    List<double[]> values = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    try {
      switch (type) {
        case "scalar" -> {
          values.add(new double[] {number(data.path("result"))});
          labels.add("scalar");
        }
        case "vector" -> {
          for (JsonNode s : data.path("result")) {
            values.add(new double[] {number(s.path("value"))});
            labels.add(s.path("metric").toString());
          }
        }
        default -> {
          return health(HealthStatus.UNKNOWN, start, "query " + query + " returned a " + (type.isEmpty() ? "missing" : type)
              + " result; use an instant query returning a scalar or vector");
        }
      }
    } catch (IllegalArgumentException e) {
      return health(HealthStatus.UNKNOWN, start, "query " + query + ": " + e.getMessage());
    }
    if (values.isEmpty()) return health(HealthStatus.UNKNOWN, start, "query " + query + " returned no series (no data)");
    List<String> bad = new ArrayList<>();
    List<String> all = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      double v = values.get(i)[0];
      if (Double.isNaN(v)) return health(HealthStatus.UNKNOWN, start, "query " + query + " returned NaN for " + labels.get(i));
      all.add(labels.get(i) + " = " + v);
      if (isBad.test(v)) bad.add(labels.get(i) + " = " + v);
    }
    if (!bad.isEmpty()) return health(HealthStatus.DOWN, start, "query " + query + " is bad: " + String.join(", ", bad));
    return health(HealthStatus.UP, start, "query " + query + ": " + String.join(", ", all));
  }

  /** A [timestamp, "value"] pair. */
  private static double number(JsonNode pair) {
    if (!pair.isArray() || pair.size() != 2) throw new IllegalArgumentException("expected [timestamp, \"value\"], got " + pair);
    String s = pair.get(1).asText();
    if (s.equals("+Inf")) return Double.POSITIVE_INFINITY;
    if (s.equals("-Inf")) return Double.NEGATIVE_INFINITY;
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("value is not a number: \"" + s + "\"");
    }
  }

  private Health health(HealthStatus s, long start, String detail) {
    return Health.of(name, s, Duration.ofNanos(System.nanoTime() - start), detail);
  }

  @Override
  public String toString() {
    return "PrometheusHealthCheck[" + name + ", " + query + "]";
  }
}
