package dev.rollback.flags;

import java.time.Duration;

/** An OpenFeature client did not evaluate a flag's new state within the bound. */
public final class PropagationTimeoutException extends FlagException {
  private static final long serialVersionUID = 1L;
  private final Duration waited;

  public PropagationTimeoutException(String message, Duration waited) {
    super(message);
    this.waited = waited;
  }

  public Duration waited() {
    return waited;
  }
}
