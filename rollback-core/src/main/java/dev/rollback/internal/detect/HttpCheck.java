package dev.rollback.internal.detect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.HttpHealthCheck;
import dev.rollback.internal.Durations;
import dev.rollback.spi.Redactor;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.jspecify.annotations.Nullable;

/** The JDK-HttpClient implementation of {@link HttpHealthCheck}. */
public final class HttpCheck implements HttpHealthCheck, TimedCheck {
  /** Made on first use: a check that never reads a JSON body (and a plan that is only validated) does not pay for it. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private record Body(String description, Predicate<String> predicate) {}

  private final String name;
  private final URI uri;
  private final int statusFrom;
  private final int statusTo;
  private final List<Body> bodies;
  private final Map<String, String> headers;
  private final @Nullable String bearer;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final @Nullable Duration degradedAbove;
  private final @Nullable SSLContext ssl;
  private final boolean insecure;
  private final String shown;
  private volatile @Nullable HttpClient client;
  /** Hides the bearer token, credential-like header values and the URL's secret parts in every detail. */
  private final Redactor redactor;

  private HttpCheck(String name, URI uri, int statusFrom, int statusTo, List<Body> bodies, Map<String, String> headers,
      @Nullable String bearer, Duration connectTimeout, Duration readTimeout, @Nullable Duration degradedAbove,
      @Nullable SSLContext ssl, boolean insecure) {
    this.name = name;
    this.uri = uri;
    this.statusFrom = statusFrom;
    this.statusTo = statusTo;
    this.bodies = List.copyOf(bodies);
    this.headers = Map.copyOf(headers);
    this.bearer = bearer;
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
    this.degradedAbove = degradedAbove;
    this.ssl = ssl;
    this.insecure = insecure;
    this.shown = uri.getRawUserInfo() == null ? uri.toString() : uri.toString().replace(uri.getRawUserInfo() + "@", "****@");
    Redactor r = Redactor.ofUrlSecrets(uri.toString());
    if (bearer != null && !bearer.isEmpty()) r = r.and(Redactor.of(bearer));
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey().toLowerCase(java.util.Locale.ROOT).matches(".*(auth|token|key|secret|cookie|pass|session|signature).*")
          && !h.getValue().isEmpty()) {
        r = r.and(Redactor.of(h.getValue()));
      }
    }
    this.redactor = r;
  }

  public static HttpCheck of(String name, URI uri) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uri, "uri");
    if (name.isBlank()) throw new IllegalArgumentException("check name must not be blank");
    String scheme = uri.getScheme();
    if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
      throw new IllegalArgumentException("check '" + name + "': URI must be http or https: " + uri);
    }
    return new HttpCheck(name, uri, 200, 299, List.of(), Map.of(), null, Duration.ofSeconds(2), Duration.ofSeconds(5),
        null, null, false);
  }

  private HttpCheck copy(int from, int to, List<Body> b, Map<String, String> h, @Nullable String bearer, Duration ct,
      Duration rt, @Nullable Duration deg, @Nullable SSLContext ssl, boolean insecure) {
    return new HttpCheck(name, uri, from, to, b, h, bearer, ct, rt, deg, ssl, insecure);
  }

  @Override
  public HttpHealthCheck expectStatus(int from, int to) {
    if (from < 100 || to > 599 || from > to) throw new IllegalArgumentException("check '" + name + "': status range must be within 100-599 and from ≤ to: " + from + "-" + to);
    return copy(from, to, bodies, headers, bearer, connectTimeout, readTimeout, degradedAbove, ssl, insecure);
  }

  @Override
  public HttpHealthCheck expectBody(String description, Predicate<String> predicate) {
    List<Body> b = new ArrayList<>(bodies);
    b.add(new Body(Objects.requireNonNull(description, "description"), Objects.requireNonNull(predicate, "predicate")));
    return copy(statusFrom, statusTo, b, headers, bearer, connectTimeout, readTimeout, degradedAbove, ssl, insecure);
  }

  @Override
  public HttpHealthCheck expectJson(String pointer, String expected) {
    Objects.requireNonNull(pointer, "pointer");
    Objects.requireNonNull(expected, "expected");
    if (!pointer.isEmpty() && !pointer.startsWith("/")) {
      throw new IllegalArgumentException("check '" + name + "': a JSON pointer starts with '/': " + pointer);
    }
    return expectBody("JSON " + pointer + " = \"" + expected + "\"", new JsonPointerPredicate(pointer, expected));
  }

  /** Marker so the detail can say what the JSON held. */
  private record JsonPointerPredicate(String pointer, String expected) implements Predicate<String> {
    @Override
    public boolean test(String body) {
      return expected.equals(valueAt(body, pointer));
    }
  }

  static @Nullable String valueAt(String body, String pointer) {
    try {
      JsonNode n = Json.MAPPER.readTree(body).at(pointer);
      if (n.isMissingNode()) return null;
      return n.isValueNode() ? n.asText() : n.toString();
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  @Override
  public HttpHealthCheck withHeader(String header, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(Objects.requireNonNull(header, "header"), Objects.requireNonNull(value, "value"));
    return copy(statusFrom, statusTo, bodies, h, bearer, connectTimeout, readTimeout, degradedAbove, ssl, insecure);
  }

  @Override
  public HttpHealthCheck withBearerToken(String token) {
    return copy(statusFrom, statusTo, bodies, headers, Objects.requireNonNull(token, "token"), connectTimeout, readTimeout,
        degradedAbove, ssl, insecure);
  }

  @Override
  public HttpHealthCheck withConnectTimeout(Duration t) {
    positive(t, "connect timeout");
    return copy(statusFrom, statusTo, bodies, headers, bearer, t, readTimeout, degradedAbove, ssl, insecure);
  }

  @Override
  public HttpHealthCheck withReadTimeout(Duration t) {
    positive(t, "read timeout");
    return copy(statusFrom, statusTo, bodies, headers, bearer, connectTimeout, t, degradedAbove, ssl, insecure);
  }

  @Override
  public HttpHealthCheck withDegradedAbove(Duration latency) {
    positive(latency, "degraded latency");
    return copy(statusFrom, statusTo, bodies, headers, bearer, connectTimeout, readTimeout, latency, ssl, insecure);
  }

  @Override
  public HttpHealthCheck withSslContext(SSLContext context) {
    return copy(statusFrom, statusTo, bodies, headers, bearer, connectTimeout, readTimeout, degradedAbove,
        Objects.requireNonNull(context, "context"), false);
  }

  @Override
  public HttpHealthCheck withoutTlsVerification() {
    return copy(statusFrom, statusTo, bodies, headers, bearer, connectTimeout, readTimeout, degradedAbove, null, true);
  }

  private void positive(Duration d, String what) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException("check '" + name + "': " + what + " must be positive: " + d);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Duration timeout() {
    return connectTimeout.plus(readTimeout);
  }

  private HttpClient client() {
    HttpClient c = client;
    if (c == null) {
      synchronized (this) {
        c = client;
        if (c == null) {
          HttpClient.Builder b = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
              .connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER);
          if (insecure) b.sslContext(trustAll());
          else if (ssl != null) b.sslContext(ssl);
          c = b.build();
          client = c;
        }
      }
    }
    return c;
  }

  private static SSLContext trustAll() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("cannot create a TLS context: " + e, e);
    }
  }

  /** Accepts every certificate; as an extended manager it also skips host-name checks. */
  private static final class TrustAll extends javax.net.ssl.X509ExtendedTrustManager implements X509TrustManager {
    @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
    @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
    @Override public void checkClientTrusted(X509Certificate[] c, String a, java.net.Socket s) {}
    @Override public void checkServerTrusted(X509Certificate[] c, String a, java.net.Socket s) {}
    @Override public void checkClientTrusted(X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}
    @Override public void checkServerTrusted(X509Certificate[] c, String a, javax.net.ssl.SSLEngine e) {}
    @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
  }

  @Override
  public Health check() {
    long start = System.nanoTime();
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).GET().timeout(readTimeout.plus(connectTimeout));
    headers.forEach(rb::header);
    if (bearer != null) rb.header("Authorization", "Bearer " + bearer);
    CompletableFuture<HttpResponse<String>> f;
    try {
      f = client().sendAsync(rb.build(), HttpResponse.BodyHandlers.ofString());
    } catch (RuntimeException e) {
      return health(HealthStatus.DOWN, start, "cannot send the request: " + e.getMessage());
    }
    HttpResponse<String> r;
    try {
      r = f.get(timeout().toMillis() + 50, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      f.cancel(true);
      return health(HealthStatus.UNKNOWN, start, "no answer within " + Durations.human(timeout()) + " from " + shown);
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      return health(HealthStatus.UNKNOWN, start, "interrupted while waiting for " + shown);
    } catch (ExecutionException e) {
      return failure(e.getCause() == null ? e : e.getCause(), start);
    }
    int status = r.statusCode();
    if (status < statusFrom || status > statusTo) {
      return health(HealthStatus.DOWN, start, "HTTP " + status + " from " + shown + " (expected " + statusFrom + "-" + statusTo
          + ")" + snippet(r.body()));
    }
    for (Body b : bodies) {
      boolean ok;
      try {
        ok = b.predicate().test(r.body());
      } catch (RuntimeException e) {
        ok = false;
      }
      if (!ok) {
        String found = b.predicate() instanceof JsonPointerPredicate j
            ? (valueAt(r.body(), j.pointer()) == null ? "; not found in the body" : "; found \"" + valueAt(r.body(), j.pointer()) + "\"")
            : "";
        return health(HealthStatus.DOWN, start, "HTTP " + status + " from " + shown + " but the body fails: " + b.description()
            + found + snippet(r.body()));
      }
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    if (degradedAbove != null && took.compareTo(degradedAbove) > 0) {
      return health(HealthStatus.DEGRADED, start, "HTTP " + status + " from " + shown + " but slow: " + Durations.human(took)
          + " > " + Durations.human(degradedAbove));
    }
    return health(HealthStatus.UP, start, "HTTP " + status + " from " + shown);
  }

  private Health failure(Throwable t, long start) {
    if (t instanceof HttpTimeoutException) {
      return health(HealthStatus.UNKNOWN, start, "no answer within " + Durations.human(timeout()) + " from " + shown + ": " + t.getMessage());
    }
    if (t instanceof SSLHandshakeException || t instanceof SSLException || hasCause(t, SSLException.class)) {
      return health(HealthStatus.DOWN, start, "TLS failure talking to " + shown + ": " + rootMessage(t));
    }
    if (t instanceof ConnectException || hasCause(t, ConnectException.class)) {
      return health(HealthStatus.DOWN, start, "cannot connect to " + shown + ": " + rootMessage(t));
    }
    if (t instanceof IOException) {
      return health(HealthStatus.DOWN, start, "connection to " + shown + " failed: " + rootMessage(t));
    }
    return health(HealthStatus.UNKNOWN, start, "request to " + shown + " failed: " + t);
  }

  private static boolean hasCause(Throwable t, Class<?> type) {
    for (Throwable c = t; c != null; c = c.getCause()) if (type.isInstance(c)) return true;
    return false;
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null) c = c.getCause();
    String m = c.getMessage();
    return c.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  private String snippet(String body) {
    if (body == null || body.isBlank()) return "";
    // redact before cutting, so a cut cannot leave part of a secret that no longer matches
    String s = redactor.redact(body).strip().replaceAll("\\s+", " ");
    return "; body: " + (s.length() > 200 ? s.substring(0, 200) + "…" : s);
  }

  /** Every detail leaves through here: the server's text (an echo of the request, say) passes the redactor. */
  private Health health(HealthStatus s, long start, String detail) {
    return Health.of(name, s, Duration.ofNanos(System.nanoTime() - start), redactor.redact(detail));
  }

  @Override
  public String toString() {
    return "HttpHealthCheck[" + name + ", GET " + shown + (bearer != null ? ", bearer ****" : "")
        + (insecure ? ", TLS unverified" : "") + "]";
  }
}
