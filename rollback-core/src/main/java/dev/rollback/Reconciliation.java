package dev.rollback;

/** What a {@link Reconciler} observed about a step whose outcome is unknown. */
public enum Reconciliation {
  /** The action took effect: the engine records the step as done without running it again. */
  APPLIED,
  /** The action did not take effect: it is safe to run it again. */
  NOT_APPLIED,
  /** Cannot tell: a human decides at a gate. */
  UNKNOWN
}
