package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An inconclusive trigger makes the guard ask the HUMAN_NEEDED audience, and say what happens if nobody answers. */
@org.junit.jupiter.api.Timeout(60)
class GuardAsksHumansTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Instant T0 = Instant.parse("2026-11-27T01:00:00Z");
  private final ManualClock clock = ManualClock.startingAt(T0);
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
  private final Recording onCall = new Recording("on-call pager");
  private final Recording stakeholders = new Recording("stakeholder mail");
  private final CommunicationPlan comms = CommunicationPlan.builder()
      .audience("on-call", onCall).audience("stakeholders", stakeholders)
      .route(NotificationKind.HUMAN_NEEDED, "on-call")
      .route(NotificationKind.ROLLBACK_COMPLETED, "stakeholders")
      .build();
  private final RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
      .step(Step.builder("kill switch").execute(ctx -> { }).build())
      .withCommunication(comms)
      .build();

  @AfterEach
  void close() {
    engine.close();
  }

  private Guard armedOnAHangingHealthCheck() {
    ScriptedSignal.ScriptedCheck health = new ScriptedSignal.ScriptedCheck("checkout health");
    health.always(HealthStatus.UNKNOWN);
    Guard g = Guard.builder(plan, Deployment.of("checkout", "2.4.0")).withEngine(engine)
        .trigger(Trigger.consecutiveFailures(Signals.poll(health, Duration.ofSeconds(2)), 3))
        .withBakeTime(Duration.ofMinutes(10))
        .build();
    g.arm();
    return g;
  }

  private List<JournalRecord> records(String runId, RecordType type) {
    return journal.read(runId).records().stream().filter(r -> r.is(type)).toList();
  }

  @Test
  void anInconclusiveTriggerTellsTheHumanNeededAudienceWithTheEvidenceAndWhatHappensIfNobodyAnswers() {
    try (Guard g = armedOnAHangingHealthCheck()) {
      clock.advance(Duration.ofMinutes(1));
      assertThat(g.state()).isEqualTo(GuardState.NEEDS_HUMAN);

      await().atMost(HANG_GUARD).until(() -> onCall.sent.size() == 1);
      Notification n = onCall.sent.get(0);
      String evidence = records(g.runId(), RecordType.TRIGGER_FIRED).get(0).stringOr("evidence", "?");
      assertThat(n.kind()).isEqualTo(NotificationKind.HUMAN_NEEDED);
      assertThat(n.runId()).isEqualTo(g.runId());
      assertThat(n.dedupKey()).isEqualTo(Notification.dedupKeyFor(g.runId()));
      assertThat(n.text()).contains("is inconclusive: " + evidence)
          .contains("rollBackNow")
          .contains("If nobody answers, the guard does not roll back for this verdict")
          .contains("until the bake time ends at 2026-11-27T01:10:00Z")
          .contains("the release stays");
      assertThat(n.facts()).containsEntry("reason", evidence).containsEntry("bakeEndsAt", "2026-11-27T01:10:00Z");
      assertThat(stakeholders.sent).isEmpty();
      await().atMost(HANG_GUARD).until(() -> !records(g.runId(), RecordType.NOTIFICATION).isEmpty());
      JournalRecord outcome = records(g.runId(), RecordType.NOTIFICATION).get(0);
      assertThat(outcome.stringOr("kind", "")).isEqualTo("HUMAN_NEEDED");
      assertThat(outcome.stringOr("audience", "")).isEqualTo("on-call");
      assertThat(outcome.stringOr("status", "")).isEqualTo("SENT");
    }
  }

  @Test
  void whatTheMessageSaysIsWhatTheGuardDoesWhenNobodyAnswers() {
    try (Guard g = armedOnAHangingHealthCheck()) {
      clock.advance(Duration.ofMinutes(11));

      assertThat(g.state()).isEqualTo(GuardState.NEEDS_HUMAN);
      assertThat(g.run()).isEmpty();
      assertThat(journal.read(g.runId()).records()).noneMatch(r -> r.is(RecordType.PLAN_STARTED));
      await().atMost(HANG_GUARD).until(() -> onCall.sent.size() == 1);
      assertThat(onCall.sent).hasSize(1); // asked once for the trigger, not every evaluation

      g.rollBackNow("alice", "the health endpoint hangs");
      assertThat(g.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
      await().atMost(HANG_GUARD).until(() -> stakeholders.sent.size() == 1);
      await().atMost(HANG_GUARD).until(() -> records(g.runId(), RecordType.NOTIFICATION).size() == 2);
      List<Long> seqs = journal.read(g.runId()).records().stream().map(JournalRecord::seq).toList();
      assertThat(seqs).doesNotHaveDuplicates().isSorted();
    }
  }

  @Test
  void aPlanWithoutAHumanNeededRouteSendsNothing() {
    Recording other = new Recording("chat");
    RollbackPlan quiet = RollbackPlan.builder("checkout-2.4.0").step(Step.builder("kill switch").execute(ctx -> { }).build())
        .withCommunication(CommunicationPlan.builder().audience("eng", other)
            .route(NotificationKind.ROLLBACK_COMPLETED, "eng").build())
        .build();
    ScriptedSignal.ScriptedCheck health = new ScriptedSignal.ScriptedCheck("checkout health");
    health.always(HealthStatus.UNKNOWN);
    try (Guard g = Guard.builder(quiet, Deployment.of("checkout", "2.4.0")).withEngine(engine)
        .trigger(Trigger.consecutiveFailures(Signals.poll(health, Duration.ofSeconds(2)), 3))
        .withBakeTime(Duration.ofMinutes(10)).build()) {
      g.arm();
      clock.advance(Duration.ofMinutes(1));
      assertThat(g.state()).isEqualTo(GuardState.NEEDS_HUMAN);
      assertThat(other.sent).isEmpty();
      assertThat(records(g.runId(), RecordType.NOTIFICATION)).isEmpty();
    }
  }

  private Guard armedWithEscalation(Recording engineering) {
    CommunicationPlan escalating = CommunicationPlan.builder()
        .audience("on-call", onCall).audience("engineering", engineering)
        .route(NotificationKind.HUMAN_NEEDED, "on-call")
        .escalate("on-call", Duration.ofMinutes(5), "engineering")
        .build();
    RollbackPlan p = RollbackPlan.builder("checkout-2.4.0").step(Step.builder("kill switch").execute(ctx -> { }).build())
        .withCommunication(escalating).build();
    ScriptedSignal.ScriptedCheck health = new ScriptedSignal.ScriptedCheck("checkout health");
    health.always(HealthStatus.UNKNOWN);
    Guard g = Guard.builder(p, Deployment.of("checkout", "2.4.0")).withEngine(engine)
        .trigger(Trigger.consecutiveFailures(Signals.poll(health, Duration.ofSeconds(2)), 3))
        .withBakeTime(Duration.ofMinutes(30)).build();
    g.arm();
    return g;
  }

  @Test
  void theGuardsQuestionEscalatesWhenNobodyAcknowledgesIt() {
    Recording engineering = new Recording("eng chat");
    try (Guard g = armedWithEscalation(engineering)) {
      clock.advance(Duration.ofMinutes(1));
      assertThat(g.state()).isEqualTo(GuardState.NEEDS_HUMAN);
      await().atMost(HANG_GUARD).until(() -> onCall.sent.size() == 1);
      clock.advance(Duration.ofMinutes(4));
      assertThat(records(g.runId(), RecordType.ESCALATED)).as("not before 5 minutes").isEmpty();

      clock.advance(Duration.ofMinutes(1));
      await().atMost(HANG_GUARD).until(() -> engineering.sent.size() == 1);
      Notification escalated = engineering.sent.get(0);
      assertThat(escalated.kind()).isEqualTo(NotificationKind.HUMAN_NEEDED);
      assertThat(escalated.text()).contains("Nobody in 'on-call' acknowledged within PT5M").contains("rollBackNow");
      JournalRecord e = records(g.runId(), RecordType.ESCALATED).get(0);
      assertThat(e.stringOr("from", "")).isEqualTo("on-call");
      assertThat(e.stringOr("to", "")).isEqualTo("engineering");
      assertThat(e.stringOr("after", "")).isEqualTo("PT5M");
    }
  }

  @Test
  void acknowledgingTheGuardsQuestionStopsItsEscalationAndIsJournaled() {
    Recording engineering = new Recording("eng chat");
    try (Guard g = armedWithEscalation(engineering)) {
      clock.advance(Duration.ofMinutes(1));
      await().atMost(HANG_GUARD).until(() -> onCall.sent.size() == 1);
      clock.advance(Duration.ofMinutes(2));
      engine.acknowledge(g.runId(), "alice", "http");
      clock.advance(Duration.ofMinutes(10));

      assertThat(records(g.runId(), RecordType.ESCALATED)).isEmpty();
      assertThat(engineering.sent).isEmpty();
      JournalRecord ack = records(g.runId(), RecordType.ACKNOWLEDGED).get(0);
      assertThat(ack.stringOr("actor", "")).isEqualTo("alice");
      assertThat(ack.stringOr("source", "")).isEqualTo("http");
      assertThat(ack.at()).isEqualTo(T0.plus(Duration.ofMinutes(3)));
    }
  }

  @Test
  void onceTheGuardRollsBackItsQuestionNoLongerEscalatesOrTakesAcknowledgements() {
    Recording engineering = new Recording("eng chat");
    try (Guard g = armedWithEscalation(engineering)) {
      clock.advance(Duration.ofMinutes(1));
      await().atMost(HANG_GUARD).until(() -> onCall.sent.size() == 1);
      g.rollBackNow("alice", "it is bad");
      assertThat(g.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
      clock.advance(Duration.ofMinutes(10));
      assertThat(records(g.runId(), RecordType.ESCALATED)).isEmpty();
      assertThat(engineering.sent).isEmpty();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> engine.acknowledge(g.runId(), "bob", "api"))
          .hasMessageContaining("nothing to acknowledge");
    }
  }

  private static final class Recording implements Notifier {
    final String name;
    final List<Notification> sent = new CopyOnWriteArrayList<>();

    Recording(String name) {
      this.name = name;
    }

    @Override
    public String name() {
      return name;
    }

    @Override
    public void send(Notification n) {
      sent.add(n);
    }
  }
}
