package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.test.RecordingNotifier;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * PagerDuty and the run's acknowledgement, both ways, against local servers replaying PagerDuty's
 * documented answers: the REST API's {@code GET /incidents?incident_key=} (200 with incidents,
 * 401 with an error object, 429 with Retry-After) and the Events API (202).
 */
@org.junit.jupiter.api.Timeout(60)
class PagerDutyAcknowledgementsTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Instant T0 = Instant.parse("2026-11-26T22:00:00Z");
  private final ManualClock clock = ManualClock.startingAt(T0);
  private final RecordingNotifier engineering = RecordingNotifier.named("eng-chat");

  static String incidents(String status, String incidentKey, String acknowledger) {
    String acks = acknowledger.isEmpty() ? "[]" : "[{\"at\":\"2026-11-26T22:03:00Z\",\"acknowledger\":{\"id\":\"PXPGF42\","
        + "\"type\":\"user_reference\",\"summary\":\"" + acknowledger + "\",\"self\":\"https://api.pagerduty.com/users/PXPGF42\"}}]";
    return "{\"incidents\":[{\"id\":\"PT4KHLK\",\"type\":\"incident\",\"summary\":\"[#1234] Rolling back checkout@2.4.0\","
        + "\"incident_number\":1234,\"status\":\"" + status + "\",\"incident_key\":\"" + incidentKey + "\","
        + "\"urgency\":\"high\",\"acknowledgements\":" + acks + ",\"last_status_change_at\":\"2026-11-26T22:03:00Z\","
        + "\"last_status_change_by\":{\"id\":\"PXPGF42\",\"type\":\"user_reference\",\"summary\":\"Earline Greenholt\"}}],"
        + "\"limit\":25,\"offset\":0,\"total\":null,\"more\":false}";
  }

  private CommunicationPlan comms(PagerDutyNotifier pager) {
    return CommunicationPlan.builder().audience("on-call", pager).audience("engineering", engineering)
        .route(NotificationKind.ROLLBACK_TRIGGERED, "on-call").route(NotificationKind.HUMAN_NEEDED, "on-call")
        .escalate("on-call", Duration.ofMinutes(5), "engineering")
        .build();
  }

  private static List<JournalRecord> acks(RollbackEngine engine, RollbackRun run) {
    return engine.journal().read(run.runId()).records().stream().filter(r -> r.is(RecordType.ACKNOWLEDGED)).toList();
  }

  @Test
  void anIncidentAcknowledgedInPagerDutyAcknowledgesTheRunAndStopsTheEscalation() throws Exception {
    try (FakeSaas events = FakeSaas.pagerDuty(); FakeSaas api = FakeSaas.pagerDuty()) {
      CommunicationPlan comms = comms(PagerDutyNotifier.events(Secret.of("routing-key")).withBaseUri(events.uri("")));
      try (PagerDutyAcknowledgements acks = PagerDutyAcknowledgements.builder(comms)
              .pollIncidents(Secret.of("api-token-123"), Duration.ofMinutes(1)).withApiBaseUri(api.uri("")).build();
          RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(acks).build()) {
        acks.start(engine);
        RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(60)), Deployment.of("checkout", "2.4.0"));
        GateRequest gate = run.awaitGate(HANG_GUARD);
        String key = run.runId() + ":notify";
        api.then(200, incidents("triggered", key, ""), Map.of("Content-Type", "application/json"))
            .then(200, incidents("acknowledged", key, "Earline Greenholt"), Map.of("Content-Type", "application/json"));

        clock.advance(Duration.ofMinutes(1));
        assertThat(acks(engine, run)).isEmpty();
        clock.advance(Duration.ofMinutes(1));

        assertThat(acks(engine, run)).singleElement().satisfies(r -> {
          assertThat(r.stringOr("actor", "")).isEqualTo("Earline Greenholt");
          assertThat(r.stringOr("source", "")).isEqualTo("pagerduty");
          assertThat(r.at()).isEqualTo(T0.plus(Duration.ofMinutes(2)));
        });
        FakeSaas.Recorded poll = api.requests().get(0);
        assertThat(poll.method()).isEqualTo("GET");
        assertThat(poll.path()).isEqualTo("/incidents");
        assertThat(poll.query()).isEqualTo("incident_key=" + URLEncoder.encode(key, StandardCharsets.UTF_8));
        assertThat(poll.header("Authorization")).isEqualTo("Token token=api-token-123");
        assertThat(poll.header("Accept")).isEqualTo("application/vnd.pagerduty+json;version=2");

        clock.advance(Duration.ofMinutes(10));
        assertThat(engineering.calls()).isZero(); // acknowledged at 2 min: no escalation at 5
        assertThat(api.requests()).hasSize(2); // an acknowledged run is not polled again
        run.answer(gate.id(), Decision.PROCEED, "Earline Greenholt");
        run.await(HANG_GUARD);
        // the acknowledgement came from PagerDuty: it is not sent back to it
        assertThat(events.requests()).noneMatch(r -> r.body().contains("\"acknowledge\""));
      }
    }
  }

  @Test
  void aRejectedTokenOrARateLimitIsLoggedAndPollingGoesOn() throws Exception {
    try (FakeSaas events = FakeSaas.pagerDuty(); FakeSaas api = FakeSaas.pagerDuty()) {
      CommunicationPlan comms = comms(PagerDutyNotifier.events(Secret.of("routing-key")).withBaseUri(events.uri("")));
      try (PagerDutyAcknowledgements acks = PagerDutyAcknowledgements.builder(comms)
              .pollIncidents(Secret.of("api-token-123"), Duration.ofMinutes(1)).withApiBaseUri(api.uri("")).build();
          RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(acks).build()) {
        acks.start(engine);
        RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(60)), Deployment.of("checkout", "2.4.0"));
        GateRequest gate = run.awaitGate(HANG_GUARD);
        String key = run.runId() + ":notify";
        api.then(401, "{\"error\":{\"message\":\"Authentication failed\",\"code\":2006}}")
            .then(429, "{\"error\":{\"message\":\"Rate limit exceeded\",\"code\":2020}}", Map.of("Retry-After", "180"))
            .then(200, incidents("resolved", key, ""), Map.of("Content-Type", "application/json"));

        clock.advance(Duration.ofMinutes(1)); // 401
        clock.advance(Duration.ofMinutes(1)); // 429, quiet for 3 min
        long polls = api.requests().stream().filter(r -> r.path().equals("/incidents")).count();
        clock.advance(Duration.ofMinutes(2));
        assertThat(api.requests().stream().filter(r -> r.path().equals("/incidents")).count()).isEqualTo(polls);
        assertThat(acks(engine, run)).isEmpty();
        clock.advance(Duration.ofMinutes(2));

        assertThat(acks(engine, run)).singleElement()
            .satisfies(r -> assertThat(r.stringOr("actor", "")).isEqualTo("Earline Greenholt")); // last_status_change_by
        run.answer(gate.id(), Decision.PROCEED, "x");
        run.await(HANG_GUARD);
      }
    }
  }

  @Test
  void anAcknowledgementOverHttpAcknowledgesTheAlertInPagerDutyOnce() throws Exception {
    try (FakeSaas events = FakeSaas.pagerDuty()) {
      CommunicationPlan comms = comms(PagerDutyNotifier.events(Secret.of("routing-key")).withBaseUri(events.uri("")));
      try (PagerDutyAcknowledgements acks = PagerDutyAcknowledgements.builder(comms).build();
          RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(acks).build();
          GateEndpoint endpoint = GateEndpoint.start(engine, Secret.of("gate-token"))) {
        acks.start(engine);
        RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(60)), Deployment.of("checkout", "2.4.0"));
        GateRequest gate = run.awaitGate(HANG_GUARD);

        assertThat(AcknowledgeEndpointTest.post(endpoint.uri().resolve("/runs/" + run.runId() + "/acknowledge"),
            "Bearer gate-token", Map.of(), "{\"actor\":\"alice\"}").statusCode()).isEqualTo(200);
        run.answer(gate.id(), Decision.PROCEED, "alice"); // a second human act: no second acknowledge
        run.await(HANG_GUARD);

        await().atMost(HANG_GUARD).until(() -> events.requests().stream().anyMatch(x -> x.body().contains("\"acknowledge\"")));
        assertThat(events.requests()).filteredOn(x -> x.body().contains("\"event_action\":\"acknowledge\""))
            .singleElement().satisfies(x -> assertThat(x.body()).contains("\"dedup_key\":\"" + run.runId() + ":notify\""));
      }
    }
  }

  @Test
  void aHumanAnswerAtAGateAcknowledgesTheAlert() throws Exception {
    try (FakeSaas events = FakeSaas.pagerDuty()) {
      CommunicationPlan comms = comms(PagerDutyNotifier.events(Secret.of("routing-key")).withBaseUri(events.uri("")));
      try (PagerDutyAcknowledgements acks = PagerDutyAcknowledgements.builder(comms).build();
          RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(acks).build()) {
        RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(60)), Deployment.of("checkout", "2.4.0"));
        GateRequest gate = run.awaitGate(HANG_GUARD);
        run.answer(gate.id(), Decision.PROCEED, "heidi");
        run.await(HANG_GUARD);

        await().atMost(HANG_GUARD).until(() -> events.requests().stream().anyMatch(r -> r.body().contains("\"acknowledge\"")));
        assertThat(events.requests()).anySatisfy(r -> assertThat(r.body())
            .contains("\"event_action\":\"acknowledge\"").contains("\"dedup_key\":\"" + run.runId() + ":notify\""));
      }
    }
  }

  @Test
  void theApiTokenNeverPrints() {
    PagerDutyAcknowledgements acks = PagerDutyAcknowledgements.builder(CommunicationPlan.none())
        .pollIncidents(Secret.of("api-token-123"), Duration.ofSeconds(30)).build();
    assertThat(acks.toString()).doesNotContain("api-token-123").contains("***");
    acks.close();
  }
}
