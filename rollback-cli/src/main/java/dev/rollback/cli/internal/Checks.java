package dev.rollback.cli.internal;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.HttpHealthCheck;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The health checks plan files declare under {@code spec.checks}: http, tcp, prometheus, alertmanager, all, any, quorum. */
public final class Checks {
  private Checks() {}

  /** Each check type's parameters (besides {@code type}), for the loader and the schema. */
  public static final Map<String, List<Parameter>> TYPES = types();

  private static Map<String, List<Parameter>> types() {
    Map<String, List<Parameter>> m = new LinkedHashMap<>();
    m.put("http", List.of(Parameter.required("url", Type.URI, "the URL to GET"),
        Parameter.optional("expectStatus", Type.STRING, "healthy statuses: a code or a range").withDefault("200-299"),
        Parameter.optional("expectJson", Type.STRING_MAP, "JSON pointer to the value it must have, e.g. {/status: UP}"),
        Parameter.optional("headers", Type.STRING_MAP, "request headers"),
        Parameter.optional("bearerToken", Type.SECRET, "sent as Authorization: Bearer"),
        Parameter.optional("timeout", Type.DURATION, "time allowed for the answer").withDefault("5s"),
        Parameter.optional("degradedAbove", Type.DURATION, "a healthy answer slower than this is DEGRADED")));
    m.put("tcp", List.of(Parameter.required("host", Type.STRING, "the host"),
        Parameter.required("port", Type.INTEGER, "the port").between(1, 65535),
        Parameter.optional("timeout", Type.DURATION, "time allowed to connect").withDefault("2s")));
    m.put("prometheus", List.of(Parameter.required("url", Type.URI, "the Prometheus server"),
        Parameter.required("query", Type.STRING, "an instant PromQL query"),
        Parameter.optional("above", Type.NUMBER, "DOWN when a value is above this"),
        Parameter.optional("below", Type.NUMBER, "DOWN when a value is below this")));
    m.put("alertmanager", List.of(Parameter.required("url", Type.URI, "the Alertmanager server"),
        Parameter.optional("matchers", Type.STRING_MAP, "labels an alert must have to count"),
        Parameter.optional("timeout", Type.DURATION, "time allowed for the answer").withDefault("5s")));
    m.put("all", List.of(Parameter.required("members", Type.STRING_LIST, "checks that must all be UP")));
    m.put("any", List.of(Parameter.required("members", Type.STRING_LIST, "checks of which one must be UP")));
    m.put("quorum", List.of(Parameter.required("members", Type.STRING_LIST, "the checks"),
        Parameter.required("k", Type.INTEGER, "how many must be UP").between(1, 1000)));
    return java.util.Collections.unmodifiableMap(m);
  }

  /** A check and its sentence. */
  public record Built(HealthCheck check, String description) {}

  /** Reads the parameters of a declaration; supplied by the compiler. */
  interface ParamReader {
    @Nullable Map<String, Object> read(List<Parameter> declared, Ctx.Obj params);
  }

  static @Nullable Built build(String name, Node decl, String path, Ctx ctx, Values.Refs refs, ParamReader reader) {
    Ctx.Obj o = ctx.asObj(decl, path, "{type: http|tcp|prometheus|alertmanager|all|any|quorum, ...}");
    if (o == null) return null;
    String type = o.string("type", true, "one of " + TYPES.keySet());
    if (type == null) return null;
    List<Parameter> params = TYPES.get(type);
    if (params == null) {
      ctx.error(o.markOf("type"), o.pathOf("type"), "unknown check type '" + type + "'" + Suggest.didYouMean(type, TYPES.keySet())
          + " (known: " + String.join(", ", TYPES.keySet()) + ")");
      return null;
    }
    List<String> known = new ArrayList<>(List.of("type"));
    params.forEach(p -> known.add(p.name()));
    o.allow(known);
    Map<String, Object> v = reader.read(params, o);
    if (v == null) return null;
    try {
      return switch (type) {
        case "http" -> http(name, v);
        case "tcp" -> new Built(HealthCheck.tcp(name, (String) v.get("host"), (Integer) v.get("port"), (Duration) v.get("timeout")),
            "TCP connect to " + v.get("host") + ":" + v.get("port"));
        case "prometheus" -> prometheus(name, v, ctx, o);
        case "alertmanager" -> new Built(new AlertmanagerCheck(name, (URI) v.get("url"), strings(v.get("matchers")),
            (Duration) v.get("timeout")), "no alert firing in Alertmanager " + v.get("url")
            + (v.get("matchers") == null ? "" : " matching " + v.get("matchers")));
        default -> composite(name, type, v, o, ctx, refs);
      };
    } catch (IllegalArgumentException e) {
      ctx.error(o.mark(), path, e.getMessage());
      return null;
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> strings(@Nullable Object o) {
    return o == null ? Map.of() : (Map<String, String>) o;
  }

  private static Built http(String name, Map<String, Object> v) {
    URI url = (URI) v.get("url");
    String status = (String) v.get("expectStatus");
    int[] r = statusRange(status);
    HttpHealthCheck c = HealthCheck.http(name, url).expectStatus(r[0], r[1]).withReadTimeout((Duration) v.get("timeout"));
    for (Map.Entry<String, String> e : strings(v.get("expectJson")).entrySet()) c = c.expectJson(e.getKey(), e.getValue());
    for (Map.Entry<String, String> e : strings(v.get("headers")).entrySet()) c = c.withHeader(e.getKey(), e.getValue());
    if (v.get("bearerToken") != null) c = c.withBearerToken((String) v.get("bearerToken"));
    if (v.get("degradedAbove") != null) c = c.withDegradedAbove((Duration) v.get("degradedAbove"));
    return new Built(c, "GET " + url + " answers " + status + (v.get("expectJson") == null ? "" : " with " + v.get("expectJson")));
  }

  static int[] statusRange(String text) {
    String t = text.trim();
    try {
      int dash = t.indexOf('-');
      int from = Integer.parseInt(dash < 0 ? t : t.substring(0, dash).trim());
      int to = dash < 0 ? from : Integer.parseInt(t.substring(dash + 1).trim());
      if (from < 100 || to > 599 || from > to) throw new NumberFormatException();
      return new int[] {from, to};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expectStatus must be a status code or a range such as 200-299, not '" + text + "'");
    }
  }

  private static @Nullable Built prometheus(String name, Map<String, Object> v, Ctx ctx, Ctx.Obj o) {
    Double above = (Double) v.get("above");
    Double below = (Double) v.get("below");
    if (above == null && below == null) {
      ctx.error(o.mark(), o.path, "give above or below (or both): when is the query's value bad?");
      return null;
    }
    String q = (String) v.get("query");
    return new Built(HealthCheck.prometheus(name, (URI) v.get("url"), q,
        x -> (above != null && x > above) || (below != null && x < below)),
        "Prometheus query " + q + (above != null ? " not above " + above : "") + (below != null ? " not below " + below : ""));
  }

  @SuppressWarnings("unchecked")
  private static @Nullable Built composite(String name, String type, Map<String, Object> v, Ctx.Obj o, Ctx ctx, Values.Refs refs) {
    List<String> members = (List<String>) v.get("members");
    List<HealthCheck> checks = new ArrayList<>();
    for (int i = 0; i < members.size(); i++) {
      HealthCheck h = refs.check(members.get(i), o.markOf("members"), o.pathOf("members") + "[" + i + "]");
      if (h == null) return null;
      checks.add(h);
    }
    HealthCheck[] arr = checks.toArray(new HealthCheck[0]);
    return switch (type) {
      case "all" -> new Built(HealthCheck.all(name, arr), "all of " + members + " UP");
      case "any" -> new Built(HealthCheck.any(name, arr), "any of " + members + " UP");
      default -> new Built(HealthCheck.quorum(name, (Integer) v.get("k"), arr), v.get("k") + " of " + members + " UP");
    };
  }

  /** DOWN while Alertmanager has an active, unsilenced alert matching the labels; UNKNOWN when it cannot be asked. */
  static final class AlertmanagerCheck implements HealthCheck {
    private final String name;
    private final URI url;
    private final Map<String, String> matchers;
    private final Duration timeout;
    private final HttpClient http;

    AlertmanagerCheck(String name, URI url, Map<String, String> matchers, Duration timeout) {
      this.name = name;
      this.url = url;
      this.matchers = Map.copyOf(matchers);
      this.timeout = timeout;
      this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override public String name() { return name; }

    @Override public Health check() {
      Instant start = Instant.now();
      StringBuilder q = new StringBuilder("active=true&silenced=false&inhibited=false");
      matchers.forEach((k, val) -> q.append("&filter=").append(URLEncoder.encode(k + "=\"" + val + "\"", StandardCharsets.UTF_8)));
      String base = url.toString().endsWith("/") ? url.toString() : url + "/";
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "api/v2/alerts?" + q)).timeout(timeout).GET()
            .build(), HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.between(start, Instant.now());
        if (r.statusCode() != 200) return Health.of(name, HealthStatus.UNKNOWN, took, "Alertmanager answered " + r.statusCode());
        com.fasterxml.jackson.databind.JsonNode alerts = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body());
        if (alerts.size() == 0) return Health.of(name, HealthStatus.UP, took, "no matching alert firing");
        List<String> names = new ArrayList<>();
        alerts.forEach(a -> names.add(a.path("labels").path("alertname").asText("?")));
        return Health.of(name, HealthStatus.DOWN, took, "firing: " + names);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Health.of(name, HealthStatus.UNKNOWN, Duration.between(start, Instant.now()), "interrupted");
      } catch (Exception e) {
        return Health.of(name, HealthStatus.UNKNOWN, Duration.between(start, Instant.now()), e.toString());
      }
    }

    @Override public String toString() { return "HealthCheck[" + name + "]"; }
  }
}
