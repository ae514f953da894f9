package dev.rollback;

/** Whether a run executes a {@link RollbackPlan} or a {@link Release}. */
public enum RunMode {
  ROLLBACK,
  RELEASE
}
