package dev.rollback.report;

import static dev.rollback.report.IncidentJournals.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateRequest;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.report.TimelineEntry.Actor;
import dev.rollback.report.TimelineEntry.Kind;
import dev.rollback.report.TimelineEntry.Milestone;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TimelineTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


  @Test
  void marksTheMilestonesAndComputesTimeToDetectAndMitigate() {
    Timeline t = Timeline.of(IncidentJournals.recoveredWithAHuman());

    assertThat(t.runId()).isEqualTo(IncidentJournals.RUN);
    assertThat(t.plan()).isEqualTo("checkout-2.4.0");
    assertThat(t.deployment()).isEqualTo("checkout@2.4.0");
    assertThat(t.outcome()).isEqualTo("RECOVERED");
    assertThat(t.started()).contains(T0);
    assertThat(t.milestone(Milestone.DETECTED)).contains(T0.plusSeconds(120));
    assertThat(t.milestone(Milestone.ACKNOWLEDGED)).contains(T0.plusMillis(180_250));
    assertThat(t.milestone(Milestone.MITIGATED)).contains(T0.plusMillis(185_300));
    assertThat(t.milestone(Milestone.RESOLVED)).contains(T0.plusMillis(186_100));
    assertThat(t.timeToDetect()).contains(Duration.ofMinutes(2));
    assertThat(t.timeToAcknowledge()).contains(Duration.ofMillis(60_250));
    assertThat(t.timeToMitigate()).contains(Duration.ofMillis(185_300));
    assertThat(t.rollbackDuration()).contains(Duration.ofMillis(65_300));
    assertThat(t.timeToResolve()).contains(Duration.ofMillis(186_100));
  }

  @Test
  void namesTheHumanAndTheAutomationAsActors() {
    Timeline t = Timeline.of(IncidentJournals.recoveredWithAHuman());

    assertThat(t.humans()).containsExactly("alice");
    TimelineEntry decision = t.entries(Kind.GATE).get(1);
    assertThat(decision.actor()).isEqualTo(Actor.human("alice"));
    assertThat(decision.text()).isEqualTo("alice decided PROCEED at gate " + IncidentJournals.RUN + "/restore/migrate down/APPROVAL@s#1");
    assertThat(decision.milestoneMarked()).contains(Milestone.ACKNOWLEDGED);
    assertThat(t.entries(Kind.STEP)).allSatisfy(e -> assertThat(e.actor()).isEqualTo(Actor.ENGINE));
    assertThat(t.entries(Kind.NOTIFICATION)).extracting(e -> e.actor().name()).containsExactly("slack", "pagerduty");
    assertThat(t.entries(Kind.HEALTH).get(0).text()).isEqualTo("Health checkout UP: 200 OK");
  }

  @Test
  void entriesAreInTimeOrderAndLeaveOutStateValues() {
    Timeline t = Timeline.of(IncidentJournals.recoveredWithAHuman());

    assertThat(t.entries()).extracting(TimelineEntry::at).isSorted();
    assertThat(t.entries()).extracting(TimelineEntry::text).noneMatch(s -> s.contains("hunter2"));
    assertThat(t.entries()).extracting(TimelineEntry::text)
        .contains("restore/migrate down failed (attempt 1, will retry): lock timeout on table orders");
  }

  @Test
  void aReleaseIsDetectedByItsTriggerAndMitigatedByTheRevert() {
    Timeline t = Timeline.of(IncidentJournals.revertedRelease());

    assertThat(t.mode()).isEqualTo("release");
    assertThat(t.milestone(Milestone.DETECTED)).contains(T0.plusSeconds(32));
    assertThat(t.entries(Kind.TRIGGER).get(0).actor()).isEqualTo(Actor.automation("trigger p99 latency"));
    assertThat(t.milestone(Milestone.ACKNOWLEDGED)).isEmpty();
    assertThat(t.timeToAcknowledge()).isEmpty();
    assertThat(t.milestone(Milestone.MITIGATED)).contains(T0.plusMillis(34_020));
    assertThat(t.timeToDetect()).contains(Duration.ofSeconds(32));
    assertThat(t.humans()).isEmpty();
  }

  @Test
  void aTimedOutGateIsNotAnAcknowledgement() {
    List<JournalRecord> records = new IncidentJournals()
        .add(0, dev.rollback.journal.RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "p", "deployment", "s@1")
        .add(10, dev.rollback.journal.RecordType.GATE_DECIDED, "a", "gateId", "g", "decision", "HALT", "actor", "timeout",
            "timedOut", true)
        .add(20, dev.rollback.journal.RecordType.PLAN_COMPLETED, null, "outcome", "HALTED", "summary", "halted")
        .records();

    Timeline t = Timeline.of(records);

    assertThat(t.milestone(Milestone.ACKNOWLEDGED)).isEmpty();
    assertThat(t.milestone(Milestone.MITIGATED)).isEmpty();
    assertThat(t.milestone(Milestone.RESOLVED)).isEmpty();
    assertThat(t.entries(Kind.GATE).get(0).actor().type()).isEqualTo(Actor.Type.TIMEOUT);
  }

  @Test
  void keepsRecordsOfANewerWriterAsNotes() {
    List<JournalRecord> records = List.of(
        new JournalRecord(1, 1, "r", "PLAN_STARTED", T0, 0, null, Map.of("mode", "rollback")),
        new JournalRecord(1, 2, "r", "QUANTUM_FLUX", T0.plusSeconds(1), 0, null, Map.of()));

    assertThat(Timeline.of(records).entries(Kind.NOTE)).singleElement()
        .satisfies(e -> assertThat(e.text()).contains("QUANTUM_FLUX"));
  }

  @Test
  void exportsItselfAsJsonForIncidentTools() throws Exception {
    String json = Timeline.of(IncidentJournals.recoveredWithAHuman()).toJson();

    com.fasterxml.jackson.databind.JsonNode root = new com.fasterxml.jackson.databind.ObjectMapper().readTree(json);
    assertThat(root.get("runId").asText()).isEqualTo(IncidentJournals.RUN);
    assertThat(root.get("milestones").get("detected").asText()).isEqualTo("2026-11-26T22:02:00Z");
    assertThat(root.get("durations").get("timeToDetect").asText()).isEqualTo("PT2M");
    assertThat(root.get("entries")).hasSize(Timeline.of(IncidentJournals.recoveredWithAHuman()).entries().size());
    com.fasterxml.jackson.databind.JsonNode decided = root.get("entries").get(10);
    assertThat(decided.get("actor").get("type").asText()).isEqualTo("HUMAN");
    assertThat(decided.get("actor").get("name").asText()).isEqualTo("alice");
    assertThat(decided.get("milestone").asText()).isEqualTo("ACKNOWLEDGED");
    assertThat(json).doesNotContain("hunter2");
  }

  @Test
  void refusesAnEmptyJournalAndMixedRuns() {
    assertThatThrownBy(() -> Timeline.of(List.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty run");
    List<JournalRecord> mixed = List.of(
        new JournalRecord(1, 1, "a", "PLAN_STARTED", T0, 0, null, Map.of()),
        new JournalRecord(1, 1, "b", "PLAN_STARTED", T0, 0, null, Map.of()));
    assertThatThrownBy(() -> Timeline.of(mixed)).hasMessageContaining("records of two runs: a and b");
  }

  @Test
  void readsWhatTheEngineWritesForARunWithAnApproval() {
    InMemoryJournal journal = InMemoryJournal.create();
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .sequential("restore", s -> s.step(Step.builder("migrate down").execute(ctx -> { }).build()
            .withApproval(Gate.named("dba").withTimeout(Duration.ofMinutes(5)))))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.start(plan, Deployment.of("checkout", "2.4.0"));
      GateRequest gate = run.awaitGate(HANG_GUARD);
      run.answer(gate.id(), Decision.PROCEED, "alice");
      assertThat(run.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);

      Timeline t = Timeline.of(journal, run.runId());

      assertThat(t.plan()).isEqualTo("checkout-2.4.0");
      assertThat(t.deployment()).isEqualTo("checkout@2.4.0");
      assertThat(t.humans()).containsExactly("alice");
      for (Milestone m : Milestone.values()) assertThat(t.milestone(m)).as(m.name()).isPresent();
      Instant detected = t.milestone(Milestone.DETECTED).orElseThrow();
      assertThat(t.milestone(Milestone.RESOLVED).orElseThrow()).isAfterOrEqualTo(detected);
      assertThat(t.entries(Kind.STEP)).extracting(TimelineEntry::text).anyMatch(s -> s.startsWith("restore/migrate down succeeded"));
    }
  }
}
