package dev.rollback;

/** What a rollback plan does when a step still fails after its retries. */
public enum FailurePolicy {
  /** Stop and ask a human at a gate (retry, skip, or halt). The default. */
  HALT_AND_ASK,
  /** Record the failure and go on with the next step; the final verification decides the outcome. */
  CONTINUE,
  /**
   * Undo what the rollback did, in reverse order, which re-enables the bad release. Valid only when
   * every step has an undo; always passes through a gate first.
   */
  ABANDON
}
