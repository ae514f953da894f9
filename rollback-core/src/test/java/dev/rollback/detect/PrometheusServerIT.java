package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Prometheus query check against a real Prometheus (Debian's, installed by
 * scripts/setup/35-prometheus.sh) on 127.0.0.1, scraping a service's /metrics every second.
 */
@Timeout(120)
class PrometheusServerIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  @TempDir
  static Path dir;
  private static HttpServer service;
  private static RealProcess prometheus;
  private static URI server;
  private static final AtomicLong ok = new AtomicLong(1000);
  private static final AtomicLong failed = new AtomicLong(10);

  @BeforeAll
  static void start() throws Exception {
    service = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    service.createContext("/metrics", ex -> {
      byte[] b = ("# TYPE checkout_requests_total counter\n"
          + "checkout_requests_total{status=\"200\"} " + ok.get() + "\n"
          + "checkout_requests_total{status=\"500\"} " + failed.get() + "\n").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
      ex.sendResponseHeaders(200, b.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    });
    service.start();
    int port = RealProcess.freePort();
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: checkout
            static_configs:
              - targets: ['127.0.0.1:%d']
        """.formatted(service.getAddress().getPort()));
    prometheus = RealProcess.start(dir.resolve("prometheus.log"), List.of("/usr/bin/prometheus",
        "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--web.console.templates=" + dir, "--web.console.libraries=" + dir));
    server = URI.create("http://127.0.0.1:" + port);
    HttpClient client = HttpClient.newHttpClient();
    await("Prometheus on " + server + " ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().until(() -> {
          assertThat(prometheus.isAlive()).as(prometheus.output()).isTrue();
          return client.send(HttpRequest.newBuilder(server.resolve("/-/ready")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        });
  }

  @AfterAll
  static void stop() throws Exception {
    if (prometheus != null) prometheus.close();
    if (service != null) service.stop(0);
  }

  private static HealthCheck errorRatio() {
    return HealthCheck.prometheus("checkout error ratio", server,
        "sum(checkout_requests_total{status=~\"5..\"}) / sum(checkout_requests_total)", v -> v > 0.05);
  }

  @Test
  void aScrapedErrorRatioIsUpBelowTheLimitAndDownAboveIt() {
    await("a scrape of the service").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(250))
        .until(() -> errorRatio().check().status() == HealthStatus.UP);
    failed.set(500);
    await("the next scrape").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(250))
        .until(() -> errorRatio().check().status() == HealthStatus.DOWN);
    assertThat(errorRatio().check().detail()).contains("is bad").contains("0.33");
  }

  @Test
  void aQueryPrometheusRejectsIsUnknownWithPrometheusOwnMessage() {
    Health h = HealthCheck.prometheus("broken", server, "sum(rate(checkout_requests_total[1m]", v -> v > 0).check();
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("HTTP 400").contains("bad_data");
  }

  @Test
  void aMetricWithoutDataIsUnknown() {
    Health h = HealthCheck.prometheus("absent", server, "checkout_payments_total", v -> v > 0).check();
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("no series");
  }

  @Test
  void aNanResultIsUnknown() {
    Health h = HealthCheck.prometheus("nan", server, "0/0", v -> v > 0).check();
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("NaN");
  }
}
