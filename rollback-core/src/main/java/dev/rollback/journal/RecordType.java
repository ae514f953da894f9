package dev.rollback.journal;

/** The kinds of record the engine writes. Readers keep records of kinds they do not know. */
public enum RecordType {
  /** A run was created and its known-good state is about to be captured (guard armed, release starting). */
  RUN_CREATED,
  /** The known-good state of one step or change, captured before anything changed. */
  KNOWN_GOOD,
  /** Execution started: run id, deployment, plan fingerprint and outline. */
  PLAN_STARTED,
  /** A halted, cancelled or crashed run continues. */
  PLAN_RESUMED,
  STAGE_STARTED,
  /** Durable before the step's action runs. */
  STEP_STARTED,
  UNDO_SNAPSHOT,
  CHECKPOINT,
  STEP_SUCCEEDED,
  STEP_FAILED,
  STEP_CANCELLED,
  STEP_SKIPPED,
  GATE_OPENED,
  GATE_DECIDED,
  HEALTH_CHECKED,
  /**
   * A trigger's verdict other than HOLD: {@code verdict} is ROLL_BACK <em>or ASK_HUMAN</em> (an
   * inconclusive verdict is journaled under this type too), so read the verdict before counting
   * firings; only ROLL_BACK starts a rollback.
   */
  TRIGGER_FIRED,
  RELEASE_REVERTING,
  ABANDONING,
  BUDGET_EXCEEDED,
  NOTE,
  NOTIFICATION,
  /** A human (or their paging tool) acknowledged the run's page: actor, source; stops escalation. */
  ACKNOWLEDGED,
  /** A page nobody acknowledged in time went on to the next audience: kind, from, to, after, reason. */
  ESCALATED,
  JOURNAL_REPAIRED,
  /** The engine itself failed: the error's type, message and stack trace; the run halts. */
  INTERNAL_ERROR,
  /** After the rollback, recovery is watched for a window: window, interval, checks, triggers. */
  SOAK_STARTED,
  /** The soak ended: held, or a regression with its evidence (the run is NOT_RECOVERED then). */
  SOAK_ENDED,
  PLAN_COMPLETED;

  /** The type for {@code name}, or null when this reader does not know it (a newer writer). */
  public static RecordType parse(String name) {
    try {
      return valueOf(name);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
