package dev.rollback.engine;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RunMode;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.Health;
import java.time.Duration;
import java.time.Instant;

/**
 * What listeners hear while a run goes on: the primary observability surface (logs are
 * secondary). Every event names its run; listeners can never break or slow a run.
 */
public sealed interface RollbackEvent {

  String runId();

  Instant at();

  record RunStarted(String runId, String plan, Deployment deployment, RunMode mode, boolean resumed, Instant at)
      implements RollbackEvent {}

  record StepStarted(String runId, String step, int attempt, Instant at) implements RollbackEvent {}

  record StepFinished(String runId, String step, StepOutcome outcome, Instant at) implements RollbackEvent {}

  record GateOpened(String runId, GateRequest request, Instant at) implements RollbackEvent {}

  record GateDecided(String runId, String gateId, Decision decision, String actor, boolean timedOut, Instant at)
      implements RollbackEvent {}

  /** A release is being reverted (or a guard's trigger fired), with the evidence. */
  record RollbackTriggered(String runId, String reason, Instant at) implements RollbackEvent {}

  record HealthChecked(String runId, String step, Health health, Instant at) implements RollbackEvent {}

  record BudgetExceeded(String runId, Duration budget, Duration elapsed, Instant at) implements RollbackEvent {}

  /** Someone acknowledged the run's page ({@code source}: "http", "pagerduty", "api", ...); escalation stops. */
  record Acknowledged(String runId, String actor, String source, Instant at) implements RollbackEvent {}

  /** A page to {@code from} was not acknowledged within {@code waited}; it went on to {@code to}. */
  record Escalated(String runId, NotificationKind kind, String from, String to, Duration waited, Instant at)
      implements RollbackEvent {}

  record Note(String runId, String step, String message, Instant at) implements RollbackEvent {}

  /**
   * The soak after the rollback ended: recovery {@code held} for its window, or it did not, with the
   * {@code evidence} (the run then ends NOT_RECOVERED).
   */
  record SoakEnded(String runId, boolean held, String evidence, Instant at) implements RollbackEvent {}

  record RunFinished(String runId, RunOutcome outcome, Duration elapsed, Instant at) implements RollbackEvent {}
}
