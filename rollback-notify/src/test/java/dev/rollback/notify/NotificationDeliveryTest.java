package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.Deployment;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.internal.communication.NotificationDispatcher;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.notify.internal.Http;
import dev.rollback.test.RecordingNotifier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The engine's delivery rules with the real channels against local fakes. */
class NotificationDeliveryTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private FakeSaas slack;
  private FakeSaas pd;
  private FakeSaas hook;
  private InMemoryJournal journal;
  private RollbackEngine engine;

  @BeforeEach
  void start() throws Exception {
    slack = FakeSaas.slack();
    pd = FakeSaas.pagerDuty();
    hook = FakeSaas.webhook();
    journal = InMemoryJournal.create();
    engine = RollbackEngine.builder().withJournal(journal).build();
  }

  @AfterEach
  void stop() {
    engine.close();
    slack.close();
    pd.close();
    hook.close();
  }

  private List<JournalRecord> notifications(String runId) {
    return journal.read(runId).records().stream().filter(r -> r.type().equals("NOTIFICATION")).toList();
  }

  @Test
  void everyChannelHearsTheRollbackAndThePageResolvesWithTheSameDedupKey() throws Exception {
    CommunicationPlan comms = CommunicationPlan.builder()
        .audience("on-call", PagerDutyNotifier.events(Secret.of("routing-key-0001")).withBaseUri(pd.uri("")))
        .audience("stakeholders", SlackNotifier.webhook(Secret.of(slack.uri("/services/T/B/S3CR3T").toString())),
            WebhookNotifier.to(hook.uri("/in"), Secret.of("hmac-key")))
        .route(NotificationKind.ROLLBACK_TRIGGERED, "on-call", "stakeholders")
        .route(NotificationKind.ROLLBACK_COMPLETED, "on-call", "stakeholders")
        .build();

    RollbackResult result = engine.run(Plans.simple(comms, 2), Deployment.of("checkout", "2.4.0"));

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    await().atMost(HANG_GUARD).until(() -> notifications(result.runId()).size() == 6);
    assertThat(notifications(result.runId())).allSatisfy(r -> assertThat(r.stringOr("status", "")).isEqualTo("SENT"));
    assertThat(pd.requests()).hasSize(2);
    List<String> actions = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (FakeSaas.Recorded r : pd.requests()) {
      JsonNode body = Http.JSON.readTree(r.body());
      actions.add(body.get("event_action").asText());
      keys.add(body.get("dedup_key").asText());
    }
    assertThat(actions).containsExactlyInAnyOrder("trigger", "resolve");
    assertThat(keys).containsOnly(result.runId() + ":notify");
    assertThat(slack.requests()).hasSize(2);
    assertThat(hook.requests()).hasSize(2);
  }

  @Test
  void aFinalSlackErrorIsNotRetriedAndIsJournaled() {
    slack.always(410, "channel_is_archived");
    CommunicationPlan comms = CommunicationPlan.builder()
        .audience("stakeholders", SlackNotifier.webhook(Secret.of(slack.uri("/services/T/B/S3CR3T").toString())))
        .route(NotificationKind.ROLLBACK_TRIGGERED, "stakeholders")
        .build();

    RollbackResult result = engine.run(Plans.simple(comms, 1), Deployment.of("checkout", "2.4.0"));

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    await().atMost(HANG_GUARD).until(() -> notifications(result.runId()).size() == 1);
    JournalRecord r = notifications(result.runId()).get(0);
    assertThat(r.stringOr("status", "")).isEqualTo("FAILED");
    assertThat(r.longOr("attempts", 0)).isEqualTo(1);
    assertThat(r.stringOr("error", "")).contains("channel_is_archived").doesNotContain("S3CR3T");
    assertThat(slack.requests()).hasSize(1);
  }

  @Test
  void aHangingChannelDelaysNeitherTheRunNorTheOtherChannels() throws Exception {
    hook.hang();
    RecordingNotifier chat = RecordingNotifier.named("chat");
    WebhookNotifier hanging = WebhookNotifier.to(hook.uri("/in"), Secret.of("k")).withTimeout(Duration.ofMinutes(5));
    CommunicationPlan comms = CommunicationPlan.builder()
        .audience("everyone", hanging, chat)
        .routeAll("everyone")
        .build();

    RollbackResult result = engine.run(Plans.simple(comms, 3), Deployment.of("checkout", "2.4.0"));

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    // the run has ended while the webhook's first delivery hangs (it cannot end before hook.close()):
    // the run did not wait for it, whatever the machine's speed
    await().atMost(HANG_GUARD).until(() -> !hook.requests().isEmpty());
    assertThat(notifications(result.runId())).noneSatisfy(r -> assertThat(r.stringOr("channel", "")).isEqualTo(hanging.name()));
    chat.awaitSent(2, HANG_GUARD);
    assertThat(chat.sent()).extracting(n -> n.kind())
        .containsExactly(NotificationKind.ROLLBACK_TRIGGERED, NotificationKind.ROLLBACK_COMPLETED);
    hook.close(); // lets the hanging request go, so the engine closes at once
  }

  @Test
  void retryAfterIsHonouredAndTheRetrySucceeds() {
    RecordingNotifier flaky = RecordingNotifier.named("flaky");
    flaky.failNext(DeliveryFailure.retryAfter("429", Duration.ofMillis(10)));
    CommunicationPlan comms = CommunicationPlan.builder().audience("a", flaky)
        .route(NotificationKind.ROLLBACK_TRIGGERED, "a").build();

    RollbackResult result = engine.run(Plans.simple(comms, 1), Deployment.of("checkout", "2.4.0"));

    await().atMost(HANG_GUARD).until(() -> notifications(result.runId()).size() == 1);
    JournalRecord r = notifications(result.runId()).get(0);
    assertThat(r.stringOr("status", "")).isEqualTo("SENT");
    assertThat(r.longOr("attempts", 0)).isEqualTo(2);
  }

  @Test
  void aChannelThatKeepsFailingIsReportedAndSkippedNotRetriedForever() {
    RecordingNotifier broken = RecordingNotifier.named("broken");
    for (int i = 0; i < 10; i++) broken.failNext(DeliveryFailure.permanent("revoked"));
    CommunicationPlan comms = CommunicationPlan.builder().audience("a", broken)
        .route(NotificationKind.ROLLBACK_TRIGGERED, "a").route(NotificationKind.ROLLBACK_COMPLETED, "a").build();

    List<String> runs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      RollbackResult result = engine.run(Plans.simple(comms, 1), Deployment.of("checkout", "2.4." + i));
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      runs.add(result.runId());
      await().atMost(HANG_GUARD).until(() -> notifications(result.runId()).size() == 2);
    }

    List<String> statuses = runs.stream().flatMap(id -> notifications(id).stream())
        .map(r -> r.stringOr("status", "")).toList();
    assertThat(statuses).containsExactly("FAILED", "FAILED", "FAILED", "SKIPPED", "SKIPPED", "SKIPPED");
    assertThat(broken.calls()).isEqualTo(3);
    assertThat(notifications(runs.get(2)).get(0).stringOr("error", "")).contains("channel broken is failing");
  }

  @Test
  void templatesWordTheMessageWithThePlansFacts() throws Exception {
    RecordingNotifier chat = RecordingNotifier.named("chat");
    CommunicationPlan comms = CommunicationPlan.builder().audience("eng", chat)
        .route(NotificationKind.ROLLBACK_TRIGGERED, "eng")
        .template(NotificationKind.ROLLBACK_TRIGGERED, "[{service}] rolling back {version}",
            "{plan} for {deployment} in run {run}: {fact:reason} (to {audience})")
        .build();

    RollbackResult result = engine.run(Plans.simple(comms, 1), Deployment.of("checkout", "2.4.0"));

    chat.awaitSent(1, HANG_GUARD);
    assertThat(chat.sent().get(0).title()).isEqualTo("[checkout] rolling back 2.4.0");
    assertThat(chat.sent().get(0).text())
        .isEqualTo("checkout-2.4.0 for checkout@2.4.0 in run " + result.runId() + ": rollback of checkout@2.4.0 started without a reason (give one with RunOptions.withReason) (to eng)");
  }

  @Test
  void identicalMessagesWithinTheWindowAreSentOnce() throws Exception {
    RecordingNotifier chat = RecordingNotifier.named("chat");
    CommunicationPlan comms = CommunicationPlan.builder().audience("eng", chat)
        .route(NotificationKind.STEP_FAILED, "eng").deduplicateWithin(Duration.ofMinutes(1)).build();
    List<Map<String, Object>> outcomes = new CopyOnWriteArrayList<>();
    Instant t = Instant.parse("2026-11-26T22:00:00Z");
    try (NotificationDispatcher d = new NotificationDispatcher(10, 1, Duration.ofMillis(1))) {
      for (Instant at : List.of(t, t.plusSeconds(30), t.plusSeconds(91))) {
        d.dispatch(outcomes::add, comms, NotificationKind.STEP_FAILED, "run-1", "p", Deployment.of("s", "1"),
            "Step failed: a", "boom", Map.of(), "run-1:notify", at);
      }
      d.dispatch(outcomes::add, comms, NotificationKind.STEP_FAILED, "run-1", "p", Deployment.of("s", "1"),
          "Step failed: b", "boom", Map.of(), "run-1:notify", t.plusSeconds(92));
      assertThat(d.awaitIdle(HANG_GUARD)).isTrue();
    }
    assertThat(outcomes).extracting(o -> o.get("status")).containsExactlyInAnyOrder("SENT", "DEDUPLICATED", "SENT", "SENT");
    assertThat(chat.sent()).hasSize(3);
  }

  @Test
  void aFullQueueDropsAndJournalsInsteadOfBlocking() throws Exception {
    FakeSaas hanging = FakeSaas.webhook().hang();
    try (NotificationDispatcher d = new NotificationDispatcher(1, 1, Duration.ofMillis(1)); hanging) {
      CommunicationPlan comms = CommunicationPlan.builder()
          .audience("a", WebhookNotifier.to(hanging.uri("/"), Secret.of("k")).withTimeout(Duration.ofMinutes(1)))
          .route(NotificationKind.STEP_FAILED, "a").build();
      List<Map<String, Object>> outcomes = new CopyOnWriteArrayList<>();
      for (int i = 0; i < 4; i++) {
        d.dispatch(outcomes::add, comms, NotificationKind.STEP_FAILED, "run-1", "p", Deployment.of("s", "1"),
            "Step failed: " + i, "boom", Map.of(), "run-1:notify", Instant.EPOCH);
      }
      // one in flight, one queued, the rest dropped at once
      await().atMost(HANG_GUARD).until(() -> outcomes.size() >= 2);
      assertThat(outcomes).extracting(o -> o.get("status")).containsOnly("DROPPED");
    }
  }
}
