package dev.rollback.engine;

/** Options for resuming a run from its journal. */
public final class ResumeOptions {
  private static final ResumeOptions DEFAULTS = new ResumeOptions(false, 0);
  private final boolean force;
  private final long fencingToken;

  private ResumeOptions(boolean force, long fencingToken) {
    this.force = force;
    this.fencingToken = fencingToken;
  }

  public static ResumeOptions defaults() {
    return DEFAULTS;
  }

  /** Resume although the plan's fingerprint changed; the differences are journaled. */
  public static ResumeOptions force() {
    return new ResumeOptions(true, 0);
  }

  public ResumeOptions withFencingToken(long token) {
    if (token < 0) throw new IllegalArgumentException("fencing token must not be negative: " + token);
    return new ResumeOptions(force, token);
  }

  public boolean isForced() { return force; }
  public long fencingToken() { return fencingToken; }
}
