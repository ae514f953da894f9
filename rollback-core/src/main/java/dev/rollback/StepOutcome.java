package dev.rollback;

import java.time.Duration;

/** How one step ended in a run. */
public sealed interface StepOutcome {

  int attempts();

  /** The action ran and its checks passed. */
  record Succeeded(int attempts, Duration duration) implements StepOutcome {}

  /** The outcome was unknown and the step's reconciler (or a human) said it had already taken effect. */
  record AlreadyApplied(int attempts, String how) implements StepOutcome {}

  /** Failed after its retries; {@code inDoubt} when the last attempt timed out or was cut off. */
  record Failed(int attempts, String error, boolean inDoubt) implements StepOutcome {}

  /** Not run: skipped by a human or by the plan. */
  record Skipped(int attempts, String reason) implements StepOutcome {}

  /** Interrupted because the run was cancelled or a parallel sibling failed; its effect is in doubt. */
  record Cancelled(int attempts, String reason) implements StepOutcome {}

  /** Never reached. */
  record NotRun() implements StepOutcome {
    @Override public int attempts() { return 0; }
  }

  default boolean isDone() {
    return this instanceof Succeeded || this instanceof AlreadyApplied;
  }
}
