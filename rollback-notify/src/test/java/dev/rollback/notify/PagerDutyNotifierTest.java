package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.NotificationKind;
import dev.rollback.notify.internal.Http;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PagerDutyNotifierTest {
  private static final String KEY = "R0UTINGKEY0000000000000000000001";
  private FakeSaas pd;
  private PagerDutyNotifier events;

  @BeforeEach
  void start() throws Exception {
    pd = FakeSaas.pagerDuty();
    events = PagerDutyNotifier.events(Secret.of(KEY)).withBaseUri(pd.uri("/"));
  }

  @AfterEach
  void stop() {
    pd.close();
  }

  @Test
  void triggersWithTheRunsDedupKeyAndResolvesWhenTheRollbackCompletes() throws Exception {
    events.send(Samples.notification(NotificationKind.ROLLBACK_TRIGGERED));
    events.send(Samples.notification(NotificationKind.ROLLBACK_COMPLETED));

    assertThat(pd.requests()).extracting(FakeSaas.Recorded::path).containsExactly("/v2/enqueue", "/v2/enqueue");
    JsonNode trigger = Http.JSON.readTree(pd.requests().get(0).body());
    assertThat(trigger.get("routing_key").asText()).isEqualTo(KEY);
    assertThat(trigger.get("event_action").asText()).isEqualTo("trigger");
    assertThat(trigger.get("dedup_key").asText()).isEqualTo("checkout-1-abc:notify");
    JsonNode payload = trigger.get("payload");
    assertThat(payload.get("severity").asText()).isEqualTo("critical");
    assertThat(payload.get("source").asText()).isEqualTo("rollback");
    assertThat(payload.get("summary").asText()).startsWith("Rolling back checkout@2.4.0");
    assertThat(payload.get("custom_details").get("reason").asText()).isEqualTo("error ratio 0.12 > 0.05");
    JsonNode resolve = Http.JSON.readTree(pd.requests().get(1).body());
    assertThat(resolve.get("event_action").asText()).isEqualTo("resolve");
    assertThat(resolve.get("dedup_key").asText()).isEqualTo("checkout-1-abc:notify");
    assertThat(resolve.has("payload")).isFalse();
  }

  @Test
  void acknowledgesTheAlertOfARun() throws Exception {
    events.acknowledge("checkout-1-abc:notify");

    JsonNode ack = Http.JSON.readTree(pd.requests().get(0).body());
    assertThat(ack.get("event_action").asText()).isEqualTo("acknowledge");
    assertThat(ack.get("dedup_key").asText()).isEqualTo("checkout-1-abc:notify");
  }

  @Test
  void changeEventsGoToTheChangeEndpointAndPageNobody() throws Exception {
    PagerDutyNotifier changes = PagerDutyNotifier.changeEvents(Secret.of(KEY)).withBaseUri(pd.uri(""));

    changes.send(Samples.notification(NotificationKind.ROLLBACK_COMPLETED));

    assertThat(pd.requests().get(0).path()).isEqualTo("/v2/change/enqueue");
    JsonNode body = Http.JSON.readTree(pd.requests().get(0).body());
    assertThat(body.has("event_action")).isFalse();
    assertThat(body.get("payload").get("summary").asText()).startsWith("Rolling back");
    assertThat(body.get("payload").get("custom_details").get("kind").asText()).isEqualTo("ROLLBACK_COMPLETED");
  }

  @Test
  void invalidEventIsPermanentAndTheEchoedKeyIsRedacted() {
    pd.then(400, "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[\"routing_key "
        + KEY + " unknown\"]}");

    assertThatThrownBy(() -> events.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isTrue())
        .hasMessageContaining("HTTP 400").hasMessageContaining("invalid event")
        .hasMessageNotContaining(KEY);
  }

  @Test
  void throttlingIsRetried() {
    pd.then(429, "{\"status\":\"throttle event\",\"message\":\"Requests for this service are arriving too quickly.\"}");

    assertThatThrownBy(() -> events.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isFalse());
  }

  @Test
  void severityFollowsTheKind() {
    assertThat(PagerDutyNotifier.severity(NotificationKind.BUDGET_EXCEEDED)).isEqualTo("warning");
    assertThat(PagerDutyNotifier.severity(NotificationKind.STEP_FAILED)).isEqualTo("error");
    assertThat(PagerDutyNotifier.action(NotificationKind.ROLLBACK_FAILED)).isEqualTo("trigger");
  }

  @Test
  void neverPrintsTheRoutingKey() {
    assertThat(events.toString()).doesNotContain(KEY).contains("routingKey=***");
  }

  @Test
  void changeEventsCannotBeAcknowledged() {
    assertThatThrownBy(() -> PagerDutyNotifier.changeEvents(Secret.of(KEY)).acknowledge("k"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("Change Events");
  }
}
