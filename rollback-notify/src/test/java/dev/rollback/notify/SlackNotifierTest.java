package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.NotificationKind;
import dev.rollback.notify.internal.Http;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SlackNotifierTest {
  private FakeSaas slack;
  private SlackNotifier notifier;

  @BeforeEach
  void start() throws Exception {
    slack = FakeSaas.slack();
    notifier = SlackNotifier.webhook(Secret.of(slack.uri("/services/T000/B000/XXXXSECRET").toString()));
  }

  @AfterEach
  void stop() {
    slack.close();
  }

  @Test
  void postsFallbackTextAndBlocksToTheWebhook() throws Exception {
    notifier.send(Samples.notification(NotificationKind.ROLLBACK_TRIGGERED));

    assertThat(slack.requests()).hasSize(1);
    FakeSaas.Recorded r = slack.requests().get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.path()).isEqualTo("/services/T000/B000/XXXXSECRET");
    assertThat(r.header("Content-Type")).isEqualTo("application/json");
    JsonNode body = Http.JSON.readTree(r.body());
    assertThat(body.get("text").asText()).startsWith("Rolling back checkout@2.4.0: Plan 'checkout-2.4.0' started");
    assertThat(body.get("blocks").get(0).get("type").asText()).isEqualTo("header");
    assertThat(body.get("blocks").get(1).get("text").get("text").asText()).contains("error ratio 0.12 &gt; 0.05");
    assertThat(body.toString()).contains("*reason*").contains("run checkout-1-abc");
  }

  @Test
  void archivedChannelIsAPermanentFailureNamingSlacksError() {
    slack.then(410, "channel_is_archived");

    assertThatThrownBy(() -> notifier.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isTrue())
        .hasMessage("slack: HTTP 410 channel_is_archived");
  }

  @Test
  void invalidPayloadIsPermanent() {
    slack.then(400, "invalid_payload");

    assertThatThrownBy(() -> notifier.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isTrue())
        .hasMessageContaining("invalid_payload");
  }

  @Test
  void rateLimitingWaitsForRetryAfter() {
    slack.then(429, "rate_limited", Map.of("Retry-After", "7"));

    assertThatThrownBy(() -> notifier.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> {
          assertThat(f.isPermanent()).isFalse();
          assertThat(f.retryAfter()).contains(Duration.ofSeconds(7));
        });
  }

  @Test
  void serverErrorIsRetryable() {
    slack.then(500, "rollup_error");

    assertThatThrownBy(() -> notifier.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> {
          assertThat(f.isPermanent()).isFalse();
          assertThat(f.retryAfter()).isEmpty();
        });
  }

  @Test
  void okStatusWithAnErrorStringIsAFailure() {
    slack.then(200, "invalid_blocks");

    assertThatThrownBy(() -> notifier.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOf(DeliveryFailure.class).hasMessageContaining("invalid_blocks");
  }

  @Test
  void unreachableWebhookFailsWithoutShowingTheUrl() throws Exception {
    String url = slack.uri("/services/T000/B000/XXXXSECRET").toString();
    slack.close();
    SlackNotifier gone = SlackNotifier.webhook(Secret.of(url));

    assertThatThrownBy(() -> gone.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOf(DeliveryFailure.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("XXXXSECRET").doesNotContain("/services"));
  }

  @Test
  void neverPrintsTheWebhookUrl() {
    assertThat(notifier.toString()).doesNotContain("XXXXSECRET").contains("***");
    assertThat(notifier.name()).isEqualTo("slack");
  }

  @Test
  void refusesANonHttpUrlWithoutEchoingIt() {
    assertThatThrownBy(() -> SlackNotifier.webhook(Secret.of("ftp://hooks/SECRETPART")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("SECRETPART");
  }
}
