package dev.rollback;

import dev.rollback.engine.RollbackRun;

/** How a run ended. */
public enum RunOutcome {
  /** Release mode: every change applied, gates and triggers held; nothing was rolled back. */
  RELEASED,
  /** The rollback (or the release's revert) finished and the verification checks are UP. */
  RECOVERED,
  /** The steps finished but verification failed, or a step failed under CONTINUE. */
  NOT_RECOVERED,
  /** Stopped at a gate (a human said HALT, or nobody answered); resumable. */
  HALTED,
  /** The rollback was abandoned: what it did was undone, re-enabling the bad release. */
  ABANDONED,
  /** {@link RollbackRun#cancel} stopped it; resumable. */
  CANCELLED;

  /** True for the outcomes where the system is in the intended state. */
  public boolean isSuccess() {
    return this == RELEASED || this == RECOVERED;
  }
}
