package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.CommunicationPlan;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.ManualClock;
import dev.rollback.NotificationKind;
import dev.rollback.RollbackEngine;
import dev.rollback.RollbackRun;
import dev.rollback.RunOutcome;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Escalation of unanswered gates, on virtual time. */
class GateEscalationTest {
  private final ManualClock clock = ManualClock.startingAt(Instant.parse("2026-11-26T22:00:00Z"));
  private final RecordingNotifier onCall = new RecordingNotifier("on-call-pager");
  private final RecordingNotifier engineering = new RecordingNotifier("eng-chat");
  private final RecordingNotifier management = new RecordingNotifier("mgmt-mail");
  private final CommunicationPlan comms = CommunicationPlan.builder()
      .audience("on-call", onCall).audience("engineering", engineering).audience("management", management)
      .route(NotificationKind.HUMAN_NEEDED, "on-call")
      .escalate("on-call", Duration.ofMinutes(5), "engineering")
      .escalate("engineering", Duration.ofMinutes(10), "management")
      .build();

  @Test
  void anUnansweredGateGoesToTheNextAudienceThenTheOneAfter() {
    try (GateEscalation escalation = GateEscalation.of(comms, clock);
        RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(escalation).build()) {
      RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(30)), Deployment.of("checkout", "2.4.0"));
      GateRequest gate = run.awaitGate(Duration.ofSeconds(10));
      await().atMost(Duration.ofSeconds(5)).until(() -> onCall.sent().size() == 1);
      assertThat(onCall.sent().get(0).text()).contains("If nobody answers by 2026-11-26T22:30:00Z, the gate decides HALT.");
      assertThat(onCall.sent().get(0).facts()).containsEntry("onTimeout", "HALT");

      clock.advance(Duration.ofMinutes(4));
      assertThat(engineering.calls()).isZero();
      clock.advance(Duration.ofMinutes(1));
      await().atMost(Duration.ofSeconds(5)).until(() -> engineering.sent().size() == 1);
      assertThat(engineering.sent().get(0).title()).startsWith("Escalated:");
      assertThat(engineering.sent().get(0).text()).contains("Nobody in 'on-call' answered within PT5M")
          .contains("the gate decides HALT");
      assertThat(engineering.sent().get(0).facts()).containsEntry("gateId", gate.id());

      clock.advance(Duration.ofMinutes(10));
      await().atMost(Duration.ofSeconds(5)).until(() -> management.sent().size() == 1);
      assertThat(management.sent().get(0).text()).contains("within PT15M");

      run.answer(gate.id(), Decision.PROCEED, "frank");
      assertThat(run.await(Duration.ofSeconds(10)).outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
  }

  @Test
  void anAnsweredGateIsNotEscalated() {
    try (GateEscalation escalation = GateEscalation.of(comms, clock);
        RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(escalation).build()) {
      RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(30)), Deployment.of("checkout", "2.4.0"));
      GateRequest gate = run.awaitGate(Duration.ofSeconds(10));
      run.answer(gate.id(), Decision.PROCEED, "grace");
      assertThat(run.await(Duration.ofSeconds(10)).outcome()).isEqualTo(RunOutcome.RECOVERED);

      clock.advance(Duration.ofMinutes(20));

      assertThat(engineering.calls()).isZero();
      assertThat(management.calls()).isZero();
    }
  }

  @Test
  void aCancelledRunsGateIsNotEscalated() {
    try (GateEscalation escalation = GateEscalation.of(comms, clock);
        RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(escalation).build()) {
      RollbackRun run = engine.start(Plans.withApproval(comms, Duration.ofMinutes(30)), Deployment.of("checkout", "2.4.0"));
      run.awaitGate(Duration.ofSeconds(10));
      run.cancel("operator stopped it");
      assertThat(run.await(Duration.ofSeconds(10)).outcome()).isEqualTo(RunOutcome.CANCELLED);

      clock.advance(Duration.ofMinutes(20));

      assertThat(engineering.calls()).isZero();
    }
  }

  @Test
  void aHumanAnswerAcknowledgesTheRunsPage() throws Exception {
    try (FakeSaas pd = FakeSaas.pagerDuty()) {
      PagerDutyNotifier pager = PagerDutyNotifier.events(Secret.of("routing-key")).withBaseUri(pd.uri(""));
      CommunicationPlan paging = CommunicationPlan.builder().audience("on-call", pager)
          .route(NotificationKind.HUMAN_NEEDED, "on-call").build();
      try (GateEscalation escalation = GateEscalation.of(paging, clock);
          RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(escalation).build()) {
        RollbackRun run = engine.start(Plans.withApproval(paging, Duration.ofMinutes(30)), Deployment.of("checkout", "2.4.0"));
        GateRequest gate = run.awaitGate(Duration.ofSeconds(10));
        run.answer(gate.id(), Decision.PROCEED, "heidi");
        run.await(Duration.ofSeconds(10));

        await().atMost(Duration.ofSeconds(20)).until(() -> pd.requests().stream().anyMatch(r -> r.body().contains("\"acknowledge\"")));
        assertThat(pd.requests()).anySatisfy(r -> assertThat(r.body())
            .contains("\"event_action\":\"acknowledge\"").contains("\"dedup_key\":\"" + run.runId() + ":notify\""));
      }
    }
  }

  @Test
  void escalationMustNameDefinedAudiencesAndWaitAPositiveTime() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CommunicationPlan.builder().audience("a", onCall)
            .escalate("a", Duration.ofMinutes(1), "nobody"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'nobody'");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CommunicationPlan.builder().audience("a", onCall)
            .audience("b", engineering).escalate("a", Duration.ZERO, "b"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positive");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> CommunicationPlan.builder().audience("a", onCall)
            .template(NotificationKind.STEP_FAILED, "{sevice} down", "x"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("{sevice}");
  }
}
