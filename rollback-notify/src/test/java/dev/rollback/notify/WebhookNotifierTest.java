package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.ManualClock;
import dev.rollback.notify.internal.Http;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class WebhookNotifierTest {
  private static final Secret KEY = Secret.of("whsec-signing-key-123");
  private static final Instant NOW = Instant.parse("2026-11-26T22:00:00Z");
  private FakeSaas receiver;
  private WebhookNotifier webhook;

  @BeforeEach
  void start() throws Exception {
    receiver = FakeSaas.webhook();
    webhook = WebhookNotifier.to(receiver.uri("/hooks/rollback"), KEY).withClock(ManualClock.startingAt(NOW));
  }

  @AfterEach
  void stop() {
    receiver.close();
  }

  @Test
  void signsTheBodyWithTheTimestampSoTheReceiverCanVerifyIt() throws Exception {
    webhook.send(Samples.notification(NotificationKind.HUMAN_NEEDED));

    FakeSaas.Recorded r = receiver.requests().get(0);
    String ts = r.header(WebhookNotifier.TIMESTAMP_HEADER);
    assertThat(ts).isEqualTo(Long.toString(NOW.getEpochSecond()));
    assertThat(r.header(WebhookNotifier.SIGNATURE_HEADER)).startsWith("v1=");
    assertThat(WebhookNotifier.verify(KEY, ts, r.body(), r.header(WebhookNotifier.SIGNATURE_HEADER),
        NOW.plusSeconds(30), Duration.ofMinutes(5))).isTrue();
    JsonNode body = Http.JSON.readTree(r.body());
    assertThat(body.get("kind").asText()).isEqualTo("HUMAN_NEEDED");
    assertThat(body.get("runId").asText()).isEqualTo("checkout-1-abc");
    assertThat(body.get("deployment").get("version").asText()).isEqualTo("2.4.0");
    assertThat(body.get("facts").get("reason").asText()).isEqualTo("error ratio 0.12 > 0.05");
  }

  @Test
  void aTamperedBodyOrAnotherKeyDoesNotVerify() throws Exception {
    webhook.send(Samples.notification(NotificationKind.HUMAN_NEEDED));
    FakeSaas.Recorded r = receiver.requests().get(0);
    String ts = r.header(WebhookNotifier.TIMESTAMP_HEADER);
    String sig = r.header(WebhookNotifier.SIGNATURE_HEADER);

    assertThat(WebhookNotifier.verify(KEY, ts, r.body().replace("2.4.0", "2.3.1"), sig, NOW, Duration.ofMinutes(5))).isFalse();
    assertThat(WebhookNotifier.verify(Secret.of("other"), ts, r.body(), sig, NOW, Duration.ofMinutes(5))).isFalse();
  }

  @Test
  void aReplayedRequestOutsideTheToleranceDoesNotVerify() throws Exception {
    webhook.send(Samples.notification(NotificationKind.HUMAN_NEEDED));
    FakeSaas.Recorded r = receiver.requests().get(0);
    String ts = r.header(WebhookNotifier.TIMESTAMP_HEADER);
    String sig = r.header(WebhookNotifier.SIGNATURE_HEADER);

    assertThat(WebhookNotifier.verify(KEY, ts, r.body(), sig, NOW.plus(Duration.ofMinutes(6)), Duration.ofMinutes(5))).isFalse();
    assertThat(WebhookNotifier.verify(KEY, "not-a-number", r.body(), sig, NOW, Duration.ofMinutes(5))).isFalse();
  }

  @Test
  void clientErrorIsPermanentAndServerErrorRetryable() {
    receiver.then(403, "forbidden").then(503, "down");

    assertThatThrownBy(() -> webhook.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isTrue());
    assertThatThrownBy(() -> webhook.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isFalse());
  }

  @Test
  void neverPrintsTheKeyOrThePath() {
    WebhookNotifier w = WebhookNotifier.to(java.net.URI.create("https://hooks.example.com/t/SECRETPATH"), KEY);
    assertThat(w.toString()).doesNotContain("whsec").doesNotContain("SECRETPATH").contains("hooks.example.com");
    assertThat(w.name()).isEqualTo("webhook:hooks.example.com");
  }
}
