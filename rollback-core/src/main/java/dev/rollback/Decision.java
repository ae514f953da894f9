package dev.rollback;

/**
 * An answer to a {@link GateRequest}. Which answers a gate accepts depends on its
 * {@link GateKind}; {@link GateRequest#options()} lists them.
 */
public enum Decision {
  /** Go ahead: approve the step, abandon the rollback, or roll back (for a trigger that asked). */
  PROCEED,
  /** Run the step (again). For an in-doubt step: run it again although it may have taken effect. */
  RETRY,
  /** Do not run the step; count it as done (in doubt: "it did take effect") and continue. */
  SKIP,
  /**
   * For a step whose outcome was unknown: it did not succeed (it failed halfway). The step counts
   * as failed and the failure policy applies; in a release, its change is reverted with the others.
   */
  FAIL,
  /** Stop the run here; it ends HALTED and can be resumed later. */
  HALT
}
