package dev.rollback.communication;

/** The moments of a run that a {@link CommunicationPlan} can route to an audience. */
public enum NotificationKind {
  /** A trigger fired or a release failed: the rollback starts, with the evidence. */
  ROLLBACK_TRIGGERED,
  /** A step failed after its retries. */
  STEP_FAILED,
  /** The run waits for a human at a gate; the message says what happens on timeout. */
  HUMAN_NEEDED,
  /** The run took longer than the plan's budget. */
  BUDGET_EXCEEDED,
  /** Recovered (or released): verification passed. */
  ROLLBACK_COMPLETED,
  /** Not recovered, halted, abandoned or cancelled. */
  ROLLBACK_FAILED
}
