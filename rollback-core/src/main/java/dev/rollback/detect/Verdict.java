package dev.rollback.detect;

/** What a {@link Trigger} concludes about the release. */
public enum Verdict {
  /** Keep the release. */
  HOLD,
  /** The release is bad: roll back. */
  ROLL_BACK,
  /** Inconclusive (e.g. too few samples at the deadline): a human decides. */
  ASK_HUMAN
}
