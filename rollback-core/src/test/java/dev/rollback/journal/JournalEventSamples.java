package dev.rollback.journal;

import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.Snapshot;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** One event of every kind the engine writes, with every field set. */
final class JournalEventSamples {
  private JournalEventSamples() {}

  static List<JournalEvent.Known> all() {
    JournalEvent.Identity id = new JournalEvent.Identity("rollback", "checkout-2.4.0", "checkout@2.4.0", "checkout", "2.4.0",
        "e24873b055009eb7", List.of("plan checkout-2.4.0", "stage restore sequential"));
    return List.of(
        new JournalEvent.RunCreated(id),
        new JournalEvent.KnownGoodCaptured("restore/db", Snapshot.of("version", "41")),
        new JournalEvent.PlanStarted(id, "trigger 'errors' fired"),
        new JournalEvent.PlanResumed("resumed", "e24873b055009eb7"),
        new JournalEvent.StageStarted("restore", true),
        new JournalEvent.StepStarted("restore/db", 2),
        new JournalEvent.UndoSnapshotTaken("restore/db", Snapshot.of(Map.of("version", "42", "schema", "s"))),
        new JournalEvent.CheckpointRecorded("restore/db", "statement", "3"),
        new JournalEvent.StepSucceeded("restore/db", 2, true, "marked done by alice", "alice"),
        new JournalEvent.StepFailed("restore/db", 1, "lock timeout", true, false, false),
        new JournalEvent.StepCancelled("restore/db", 1, "sibling failed"),
        new JournalEvent.StepSkipped("restore/db", "skipped after failure by bob"),
        new JournalEvent.GateOpened("restore/db", "run-1/restore/db/APPROVAL@before#1", "dba", GateKind.APPROVAL,
            "Approve?", GateKind.APPROVAL.options(), Instant.parse("2026-12-07T08:00:00Z"), Decision.HALT, false),
        new JournalEvent.GateDecided("restore/db", "run-1/restore/db/APPROVAL@before#1", Decision.PROCEED, "alice", false),
        new JournalEvent.HealthChecked("verify", "checkout", HealthStatus.DEGRADED, "slow", 12, false),
        new JournalEvent.TriggerFired("errors", Verdict.ROLL_BACK, "0.12 > 0.05", Map.of("observed", "0.12",
            "threshold", "0.05", "window", "30 s"), "guard", "checkout@2.4.0", "pod-1"),
        new JournalEvent.ReleaseReverting("change 'image' failed"),
        new JournalEvent.Abandoning("step 'restore/db' failed"),
        new JournalEvent.BudgetExceeded(Duration.ofMinutes(5), Duration.ofSeconds(301)),
        new JournalEvent.NoteAdded("restore/db", "3 rows archived"),
        new JournalEvent.NotificationSent("HUMAN_NEEDED", "on-call", "pagerduty", "FAILED", 3, "HTTP 500", "stakeholders"),
        new JournalEvent.Acknowledged("alice", "pagerduty"),
        new JournalEvent.Escalated("HUMAN_NEEDED", "on-call", "managers", Duration.ofMinutes(5), "not acknowledged",
            "run-1/restore/db/APPROVAL@before#1"),
        new JournalEvent.JournalRepaired("torn last record kept in run-1.jsonl.torn-812"),
        new JournalEvent.InternalError("restore/db", "java.lang.IllegalStateException", "boom",
            "java.lang.IllegalStateException: boom\n\tat x.y(Z.java:1)\n"),
        new JournalEvent.SoakStarted(Duration.ofMinutes(10), Duration.ofSeconds(10), List.of("checkout"), List.of("errors")),
        new JournalEvent.SoakEnded(false, "check 'checkout' is DOWN 4 min 10 s into the soak: HTTP 503"),
        new JournalEvent.PlanCompleted("HALTED", "halted: step failed", "run-1/restore/db/STEP_FAILED@a1#1"),
        new JournalEvent.PlanCompleted("RECOVERED", "rolled back; not verified", null, false));
  }
}
