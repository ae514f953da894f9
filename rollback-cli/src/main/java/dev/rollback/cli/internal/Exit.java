package dev.rollback.cli.internal;

import dev.rollback.RunOutcome;

/** The exit codes of the {@code rollback} command; each is documented in the module's README. */
public final class Exit {
  private Exit() {}

  /** Success: a command that did what it was asked; a release that went out with no rollback; a drill within budget. */
  public static final int OK = 0;
  /** An error outside the plan: the journal or state directory unusable, a target unreachable before the run, a bug. */
  public static final int ERROR = 1;
  /** Usage or validation error: bad options, or a plan file with problems. */
  public static final int INVALID = 2;
  /** Rolled back and recovered: the rollback (or the release's revert) finished and verification passed. */
  public static final int RECOVERED = 3;
  /** Not recovered: verification failed, a step failed under CONTINUE, or the rollback was abandoned. */
  public static final int NOT_RECOVERED = 4;
  /** Halted, waiting for a human: stopped at a gate (HALT, or nobody answered); resume it. */
  public static final int HALTED = 5;
  /** Cancelled (the command was interrupted); resume it. */
  public static final int CANCELLED = 6;
  /** Over budget: the plan's worst case ({@code plan}) or the drill's time to recover exceeds the budget. */
  public static final int OVER_BUDGET = 7;

  public static int of(RunOutcome o) {
    return switch (o) {
      case RELEASED -> OK;
      case RECOVERED -> RECOVERED;
      case NOT_RECOVERED, ABANDONED -> NOT_RECOVERED;
      case HALTED -> HALTED;
      case CANCELLED -> CANCELLED;
    };
  }

  public static int of(String outcome) {
    try {
      return of(RunOutcome.valueOf(outcome));
    } catch (IllegalArgumentException e) {
      return OK;
    }
  }
}
