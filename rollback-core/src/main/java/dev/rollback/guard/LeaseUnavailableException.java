package dev.rollback.guard;

import dev.rollback.RollbackException;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The lease store could not answer now: it is overloaded (Kubernetes answers 429 Too Many
 * Requests) or unreachable. Not an answer about who holds the lease. A {@link Lease} throws it
 * with the delay the store asked for ({@code Retry-After}) when it said one; a guard then waits at
 * least that long, with jitter, before it tries again.
 */
public class LeaseUnavailableException extends RollbackException {
  private static final long serialVersionUID = 1L;

  private final @Nullable Duration retryAfter;

  public LeaseUnavailableException(String message, @Nullable Duration retryAfter, @Nullable Throwable cause) {
    super(message, cause);
    this.retryAfter = retryAfter;
  }

  /** How long the store asked the client to wait, if it said. */
  public Optional<Duration> retryAfter() {
    return Optional.ofNullable(retryAfter);
  }
}
