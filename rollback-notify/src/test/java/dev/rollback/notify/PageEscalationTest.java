package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateRequest;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.report.Timeline;
import dev.rollback.report.TimelineEntry.Milestone;
import dev.rollback.test.RecordingNotifier;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Escalation of pages nobody acknowledged, on virtual time, through a real engine. */
@org.junit.jupiter.api.Timeout(60)
class PageEscalationTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Instant T0 = Instant.parse("2026-11-26T22:00:00Z");
  private final ManualClock clock = ManualClock.startingAt(T0);
  private final RecordingNotifier onCall = RecordingNotifier.named("on-call-pager");
  private final RecordingNotifier engineering = RecordingNotifier.named("eng-chat");
  private final RecordingNotifier management = RecordingNotifier.named("mgmt-mail");
  private final List<RollbackEvent> events = new CopyOnWriteArrayList<>();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(events::add).build();

  @AfterEach
  void close() {
    engine.close();
  }

  /** Pages (ROLLBACK_TRIGGERED and HUMAN_NEEDED) go to on-call; on-call escalates to engineering after 5 min, engineering to management after 10. */
  private CommunicationPlan.Builder chain() {
    return CommunicationPlan.builder()
        .audience("on-call", onCall).audience("engineering", engineering).audience("management", management)
        .escalate("on-call", Duration.ofMinutes(5), "engineering")
        .escalate("engineering", Duration.ofMinutes(10), "management");
  }

  private RollbackRun startWaitingAtAGate(CommunicationPlan comms) {
    return engine.start(Plans.withApproval(comms, Duration.ofMinutes(60)), Deployment.of("checkout", "2.4.0"));
  }

  private List<JournalRecord> records(RollbackRun run, RecordType type) {
    return engine.journal().read(run.runId()).records().stream().filter(r -> r.is(type)).toList();
  }

  @Test
  void anUnacknowledgedPageGoesToTheNextAudienceThenTheOneAfterAndIsJournaled() throws Exception {
    RollbackRun run = startWaitingAtAGate(chain().route(NotificationKind.ROLLBACK_TRIGGERED, "on-call").build());
    GateRequest gate = run.awaitGate(HANG_GUARD);
    onCall.awaitSent(1, HANG_GUARD);

    clock.advance(Duration.ofMinutes(4));
    assertThat(engineering.calls()).isZero();
    clock.advance(Duration.ofMinutes(1));
    engineering.awaitSent(1, HANG_GUARD);
    assertThat(engineering.sent().get(0).kind()).isEqualTo(NotificationKind.ROLLBACK_TRIGGERED);
    assertThat(engineering.sent().get(0).title()).isEqualTo("Escalated: Rolling back checkout@2.4.0");
    assertThat(engineering.sent().get(0).text()).startsWith("Nobody in 'on-call' acknowledged within PT5M. Plan 'checkout-2.4.0' started");
    assertThat(engineering.sent().get(0).facts()).containsEntry("escalatedFrom", "on-call").containsEntry("escalatedAfter", "PT5M");
    assertThat(management.calls()).isZero();

    clock.advance(Duration.ofMinutes(10));
    management.awaitSent(1, HANG_GUARD);
    assertThat(management.sent().get(0).text()).contains("Nobody in 'engineering' acknowledged within PT15M");

    assertThat(records(run, RecordType.ESCALATED)).extracting(r -> r.stringOr("from", "") + ">" + r.stringOr("to", "")
        + " after " + r.stringOr("after", "") + " at " + r.at())
        .containsExactly("on-call>engineering after PT5M at 2026-11-26T22:05:00Z",
            "engineering>management after PT15M at 2026-11-26T22:15:00Z");
    assertThat(records(run, RecordType.ESCALATED).get(0).stringOr("reason", ""))
        .isEqualTo("nobody acknowledged the page within PT5M");
    await().atMost(HANG_GUARD).until(() -> records(run, RecordType.NOTIFICATION).stream()
        .filter(r -> r.has("escalatedFrom")).count() == 2);
    assertThat(records(run, RecordType.NOTIFICATION)).filteredOn(r -> r.has("escalatedFrom"))
        .extracting(r -> r.stringOr("audience", "") + " via " + r.stringOr("channel", "") + ": " + r.stringOr("status", ""))
        .containsExactly("engineering via eng-chat: SENT", "management via mgmt-mail: SENT");
    assertThat(events).filteredOn(e -> e instanceof RollbackEvent.Escalated).hasSize(2);
    assertThat(Timeline.of(engine.journal(), run.runId()).entries()).extracting(e -> e.text())
        .contains("Escalated ROLLBACK_TRIGGERED from on-call to engineering after PT5M: nobody acknowledged the page within PT5M");

    run.answer(gate.id(), Decision.PROCEED, "frank");
    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
  }

  @Test
  void anAcknowledgedPageIsNotEscalatedAndTheAcknowledgementIsJournaled() {
    RollbackRun run = startWaitingAtAGate(chain().route(NotificationKind.ROLLBACK_TRIGGERED, "on-call").build());
    GateRequest gate = run.awaitGate(HANG_GUARD);
    clock.advance(Duration.ofMinutes(3));

    engine.acknowledge(run.runId(), "bob", "api");
    clock.advance(Duration.ofMinutes(30));

    assertThat(engineering.calls()).isZero();
    assertThat(management.calls()).isZero();
    assertThat(records(run, RecordType.ESCALATED)).isEmpty();
    JournalRecord ack = records(run, RecordType.ACKNOWLEDGED).get(0);
    assertThat(ack.stringOr("actor", "")).isEqualTo("bob");
    assertThat(ack.stringOr("source", "")).isEqualTo("api");
    assertThat(ack.at()).isEqualTo(T0.plus(Duration.ofMinutes(3)));
    assertThat(events).anySatisfy(e -> assertThat(e).isEqualTo(
        new RollbackEvent.Acknowledged(run.runId(), "bob", "api", T0.plus(Duration.ofMinutes(3)))));
    assertThat(Timeline.of(engine.journal(), run.runId()).milestone(Milestone.ACKNOWLEDGED))
        .contains(T0.plus(Duration.ofMinutes(3)));
    run.answer(gate.id(), Decision.PROCEED, "bob");
    run.await(HANG_GUARD);
  }

  @Test
  void anUnansweredGateEscalatesUntilAHumanAnswersIt() throws Exception {
    RollbackRun run = startWaitingAtAGate(chain().route(NotificationKind.HUMAN_NEEDED, "on-call").build());
    GateRequest gate = run.awaitGate(HANG_GUARD);
    onCall.awaitSent(1, HANG_GUARD);
    assertThat(onCall.sent().get(0).text()).contains("If nobody answers by 2026-11-26T23:00:00Z, the gate decides HALT.");

    clock.advance(Duration.ofMinutes(5));
    engineering.awaitSent(1, HANG_GUARD);
    assertThat(engineering.sent().get(0).kind()).isEqualTo(NotificationKind.HUMAN_NEEDED);
    assertThat(engineering.sent().get(0).text()).contains("the gate decides HALT");
    assertThat(engineering.sent().get(0).facts()).containsEntry("gateId", gate.id());
    assertThat(records(run, RecordType.ESCALATED).get(0).stringOr("gateId", "")).isEqualTo(gate.id());
    assertThat(records(run, RecordType.ESCALATED).get(0).stringOr("reason", ""))
        .isEqualTo("nobody answered gate " + gate.id() + " or acknowledged the run within PT5M");

    run.answer(gate.id(), Decision.PROCEED, "grace");
    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    clock.advance(Duration.ofMinutes(30));
    assertThat(management.calls()).isZero();
  }

  @Test
  void anAcknowledgementAfterAGatesPageStopsItsEscalation() {
    RollbackRun run = startWaitingAtAGate(chain().route(NotificationKind.HUMAN_NEEDED, "on-call").build());
    GateRequest gate = run.awaitGate(HANG_GUARD);
    clock.advance(Duration.ofMinutes(1));
    engine.acknowledge(run.runId(), "bob", "http");
    clock.advance(Duration.ofMinutes(10));
    assertThat(engineering.calls()).isZero();
    run.answer(gate.id(), Decision.PROCEED, "bob");
    run.await(HANG_GUARD);
  }

  @Test
  void aGateOpenedAfterTheAcknowledgementStillEscalatesUntilAnswered() throws Exception {
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch running = new java.util.concurrent.CountDownLatch(1);
    CommunicationPlan comms = chain().route(NotificationKind.ROLLBACK_TRIGGERED, "on-call")
        .route(NotificationKind.HUMAN_NEEDED, "on-call").build();
    dev.rollback.RollbackPlan plan = dev.rollback.RollbackPlan.builder("checkout-2.4.0")
        .sequential("stop the bleeding", s -> s.step(dev.rollback.Step.builder("kill switch").execute(ctx -> {
          running.countDown();
          release.await();
        }).build()))
        .sequential("restore", s -> s.step(dev.rollback.Step.builder("migrate down").execute(ctx -> { }).build()
            .withApproval(dev.rollback.Gate.named("dba").withTimeout(Duration.ofMinutes(60)))))
        .withCommunication(comms).build();
    RollbackRun run = engine.start(plan, Deployment.of("checkout", "2.4.0"));
    assertThat(running.await(HANG_GUARD.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    clock.advance(Duration.ofMinutes(1));
    engine.acknowledge(run.runId(), "bob", "http"); // takes the page of the rollback
    clock.advance(Duration.ofMinutes(1));
    release.countDown();
    GateRequest gate = run.awaitGate(HANG_GUARD);

    clock.advance(Duration.ofMinutes(5));
    engineering.awaitSent(1, HANG_GUARD);

    assertThat(engineering.sent().get(0).kind()).isEqualTo(NotificationKind.HUMAN_NEEDED); // the question, not the page
    assertThat(records(run, RecordType.ESCALATED)).extracting(r -> r.stringOr("kind", "")).containsExactly("HUMAN_NEEDED");
    run.answer(gate.id(), Decision.PROCEED, "bob");
    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
  }

  @Test
  void noEscalationOnceTheRunIsCancelled() {
    RollbackRun run = startWaitingAtAGate(chain().route(NotificationKind.ROLLBACK_TRIGGERED, "on-call")
        .route(NotificationKind.HUMAN_NEEDED, "on-call").build());
    run.awaitGate(HANG_GUARD);
    run.cancel("operator stopped it");
    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.CANCELLED);

    clock.advance(Duration.ofMinutes(30));

    assertThat(engineering.calls()).isZero();
    assertThat(records(run, RecordType.ESCALATED)).isEmpty();
  }

  @Test
  void noEscalationOnceTheRunEnded() {
    RollbackRun run = engine.start(Plans.simple(chain().route(NotificationKind.ROLLBACK_TRIGGERED, "on-call").build(), 2),
        Deployment.of("checkout", "2.4.0"));
    assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);

    clock.advance(Duration.ofMinutes(30));

    assertThat(engineering.calls()).isZero();
    assertThat(clock.scheduledCount()).isZero();
  }

  @Test
  void anAudienceThePageWentToDirectlyIsNotToldAgainButTheChainGoesOn() throws Exception {
    RollbackRun run = startWaitingAtAGate(chain().route(NotificationKind.ROLLBACK_TRIGGERED, "on-call", "engineering").build());
    GateRequest gate = run.awaitGate(HANG_GUARD);
    engineering.awaitSent(1, HANG_GUARD);

    clock.advance(Duration.ofMinutes(10));
    management.awaitSent(1, HANG_GUARD);

    assertThat(engineering.sent()).hasSize(1); // the page itself, no escalation copy
    assertThat(management.sent().get(0).text()).contains("Nobody in 'engineering' acknowledged within PT10M");
    assertThat(records(run, RecordType.ESCALATED)).extracting(r -> r.stringOr("to", "")).containsExactly("management");
    run.answer(gate.id(), Decision.PROCEED, "frank");
    run.await(HANG_GUARD);
  }

  @Test
  void acknowledgingARunThatIsNotGoingSaysSo() {
    RollbackRun run = engine.start(Plans.simple(chain().build(), 1), Deployment.of("checkout", "2.4.0"));
    run.await(HANG_GUARD);

    assertThatThrownBy(() -> engine.acknowledge(run.runId(), "bob", "http"))
        .isInstanceOf(RollbackException.class).hasMessageContaining("run " + run.runId() + " is not running");
    assertThatThrownBy(() -> engine.acknowledge("no-such-run", "bob", "http"))
        .isInstanceOf(RollbackException.class).hasMessageContaining("no-such-run");
    assertThatThrownBy(() -> engine.acknowledge(run.runId(), " ", "http"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("actor");
  }

  @Test
  void escalationMustNameDefinedAudiencesAndWaitAPositiveTime() {
    assertThatThrownBy(() -> CommunicationPlan.builder().audience("a", onCall)
            .escalate("a", Duration.ofMinutes(1), "nobody"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nobody'");
    assertThatThrownBy(() -> CommunicationPlan.builder().audience("a", onCall)
            .audience("b", engineering).escalate("a", Duration.ZERO, "b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
  }
}
