package dev.rollback;

/** Thrown by {@link RollbackResult#orThrow()} when a run did not reach its intended state. */
public final class RollbackFailedException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final transient RollbackResult result;

  public RollbackFailedException(RollbackResult result) {
    super("plan '" + result.plan() + "' run " + result.runId() + " ended " + result.outcome() + ": " + result.summary());
    this.result = result;
  }

  public RollbackResult result() {
    return result;
  }
}
