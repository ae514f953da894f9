package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Prometheus query check against an HTTP server on loopback that answers {@code /api/v1/query}
 * with the response formats the Prometheus HTTP API documents (success vector and scalar, an
 * empty result, a NaN sample, an error answer with errorType and error).
 */
@Timeout(60)
class PrometheusHealthCheckIT {
  private static HttpServer server;
  private static final Map<String, Object[]> ANSWERS = Map.of(
      "error_ratio", new Object[] {200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
          + "{\"metric\":{\"job\":\"checkout\",\"instance\":\"a\"},\"value\":[1764115200.123,\"0.031\"]},"
          + "{\"metric\":{\"job\":\"checkout\",\"instance\":\"b\"},\"value\":[1764115200.123,\"0.002\"]}]}}"},
      "scalar(1)", new Object[] {200, "{\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1764115200.123,\"1\"]}}"},
      "absent_metric", new Object[] {200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}}"},
      "nan_ratio", new Object[] {200, "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":["
          + "{\"metric\":{},\"value\":[1764115200.123,\"NaN\"]}]}}"},
      "rate(", new Object[] {400, "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"1:6: parse error: unexpected end of input\"}"});

  @BeforeAll
  static void start() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/api/v1/query", ex -> {
      String raw = ex.getRequestURI().getRawQuery();
      String q = URLDecoder.decode(raw.substring(raw.indexOf("query=") + 6), StandardCharsets.UTF_8);
      Object[] a = ANSWERS.getOrDefault(q, new Object[] {500, "internal error"});
      byte[] b = ((String) a[1]).getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "application/json");
      ex.sendResponseHeaders((Integer) a[0], b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    });
    server.start();
  }

  @AfterAll
  static void stop() {
    server.stop(0);
  }

  private static Health query(String q, double above) {
    URI u = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    return HealthCheck.prometheus("prometheus " + q, u, q, v -> v > above).check();
  }

  @Test
  void aVectorWithABadSeriesIsDownNamingTheSeries() {
    Health h = query("error_ratio", 0.01);
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("\"instance\":\"a\"").contains("0.031").doesNotContain("0.002");
    assertThat(query("error_ratio", 0.05).status()).isEqualTo(HealthStatus.UP);
  }

  @Test
  void aScalarIsJudgedToo() {
    assertThat(query("scalar(1)", 0.5).status()).isEqualTo(HealthStatus.DOWN);
  }

  @Test
  void noDataIsUnknownNeverUp() {
    Health h = query("absent_metric", 0.01);
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("no series");
  }

  @Test
  void aNanIsUnknown() {
    Health h = query("nan_ratio", 0.01);
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("NaN");
  }

  @Test
  void aPrometheusErrorIsUnknownWithItsMessage() {
    Health h = query("rate(", 0.01);
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("HTTP 400").contains("bad_data").contains("parse error");
  }

  @Test
  void aBodyThatIsNotJsonIsUnknown() {
    Health h = query("unknown_query", 0.01);
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("HTTP 500").contains("not JSON");
  }
}
