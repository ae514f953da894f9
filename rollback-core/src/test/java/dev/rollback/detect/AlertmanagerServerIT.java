package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import java.io.InputStream;
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
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Alertmanager (Debian's prometheus-alertmanager) on 127.0.0.1 delivers its webhook to the
 * application's endpoint, which hands the body to {@link Alerts}; clustering is off so it binds
 * nothing else.
 */
@Timeout(120)
class AlertmanagerServerIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  @TempDir
  static Path dir;
  private static HttpServer app;
  private static RealProcess alertmanager;
  private static URI api;
  private static final Alerts alerts = Alerts.create("alertmanager");
  private static final List<Alerts.Receipt> receipts = new CopyOnWriteArrayList<>();
  private static final HttpClient client = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    app = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    app.createContext("/alerts", ex -> {
      String body;
      try (InputStream in = ex.getRequestBody()) {
        body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
      Alerts.Receipt r = alerts.acceptAlertmanager(body);
      receipts.add(r);
      ex.sendResponseHeaders(r.accepted() ? 200 : 400, -1);
      ex.close();
    });
    app.start();
    int port = RealProcess.freePort();
    Path config = dir.resolve("alertmanager.yml");
    Files.writeString(config, """
        route:
          receiver: guard
          group_by: ['alertname']
          group_wait: 0s
          group_interval: 1s
          repeat_interval: 1h
        receivers:
          - name: guard
            webhook_configs:
              - url: http://127.0.0.1:%d/alerts
                send_resolved: true
        """.formatted(app.getAddress().getPort()));
    alertmanager = RealProcess.start(dir.resolve("alertmanager.log"), List.of("/usr/bin/prometheus-alertmanager",
        "--config.file=" + config, "--storage.path=" + dir.resolve("data"),
        "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address="));
    api = URI.create("http://127.0.0.1:" + port);
    await("Alertmanager on " + api + " ready").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .ignoreExceptions().until(() -> {
          assertThat(alertmanager.isAlive()).as(alertmanager.output()).isTrue();
          return client.send(HttpRequest.newBuilder(api.resolve("/-/ready")).build(),
              HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        });
  }

  @AfterAll
  static void stop() throws Exception {
    if (alertmanager != null) alertmanager.close();
    if (app != null) app.stop(0);
  }

  private static void post(String alertname, String service, Instant endsAt) throws Exception {
    String body = """
        [{"labels": {"alertname": "%s", "service": "%s", "severity": "critical"},
          "annotations": {"summary": "%s 5xx above 5%%"},
          "startsAt": "%s", "endsAt": "%s"}]
        """.formatted(alertname, service, service, Instant.now().minusSeconds(5), endsAt);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(api.resolve("/api/v2/alerts"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  @Test
  void anAlertRoutedByAlertmanagerFiresTheTriggerAndItsResolutionClearsIt() throws Exception {
    Trigger.Evaluator t = Trigger.externalAlert(alerts, Map.of("service", "checkout")).newEvaluator();
    post("CheckoutErrors", "checkout", Instant.now().plusSeconds(600));
    await("the webhook from Alertmanager").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(100))
        .until(() -> t.evaluate(Instant.now()).verdict() == Verdict.ROLL_BACK);
    Evaluation e = t.evaluate(Instant.now());
    assertThat(e.evidence()).contains("CheckoutErrors").contains("checkout 5xx above 5%").contains("receiver guard");
    assertThat(receipts).allSatisfy(r -> assertThat(r.accepted()).as(r.problem()).isTrue());

    post("CheckoutErrors", "checkout", Instant.now().minusSeconds(1));
    await("the resolved webhook").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(100))
        .until(() -> t.evaluate(Instant.now()).verdict() == Verdict.HOLD);
  }
}
