package dev.rollback;

import java.time.Duration;
import java.util.Objects;

/**
 * How often a failed step attempt is tried again and how long to wait between attempts
 * (exponential backoff from {@code initialDelay} up to {@code maxDelay}, with {@code jitter} as a
 * fraction of each delay). A retry of an attempt whose outcome is unknown (it timed out) follows
 * the in-doubt rule: only when the step is idempotent or its reconciler says NOT_APPLIED.
 */
public record Retry(int maxRetries, Duration initialDelay, Duration maxDelay, double jitter) {
  private static final Retry NONE = new Retry(0, Duration.ZERO, Duration.ZERO, 0);

  public Retry {
    Objects.requireNonNull(initialDelay, "initialDelay");
    Objects.requireNonNull(maxDelay, "maxDelay");
    if (maxRetries < 0) throw new IllegalArgumentException("maxRetries must not be negative: " + maxRetries);
    if (initialDelay.isNegative()) throw new IllegalArgumentException("initialDelay must not be negative: " + initialDelay);
    if (maxDelay.compareTo(initialDelay) < 0) {
      throw new IllegalArgumentException("maxDelay " + maxDelay + " must not be shorter than initialDelay " + initialDelay);
    }
    if (!(jitter >= 0 && jitter < 1)) throw new IllegalArgumentException("jitter must be in [0, 1): " + jitter);
  }

  /** No retry: one attempt. */
  public static Retry none() {
    return NONE;
  }

  /** Up to {@code retries} more attempts, 1 s apart doubling to 30 s. */
  public static Retry times(int retries) {
    return new Retry(retries, Duration.ofSeconds(1), Duration.ofSeconds(30), 0);
  }

  public Retry withBackoff(Duration initialDelay, Duration maxDelay) {
    return new Retry(maxRetries, initialDelay, maxDelay, jitter);
  }

  public Retry withFixedDelay(Duration delay) {
    return new Retry(maxRetries, delay, delay, jitter);
  }

  public Retry withJitter(double fraction) {
    return new Retry(maxRetries, initialDelay, maxDelay, fraction);
  }

  public int maxAttempts() {
    return maxRetries + 1;
  }

  /** Worst-case total of the waits between attempts (without jitter). */
  public Duration worstCaseDelay() {
    Duration total = Duration.ZERO;
    Duration d = initialDelay;
    for (int i = 0; i < maxRetries; i++) {
      total = total.plus(d);
      d = d.multipliedBy(2);
      if (d.compareTo(maxDelay) > 0) d = maxDelay;
    }
    return total;
  }
}
