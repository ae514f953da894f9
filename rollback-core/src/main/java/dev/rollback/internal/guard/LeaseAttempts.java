package dev.rollback.internal.guard;

import dev.rollback.guard.LeaseUnavailableException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import org.jspecify.annotations.Nullable;

/**
 * When a guard may try its lease next, so that many replicas firing at once (a shared dependency
 * failing) do not hit the lease store in one burst: a random delay of up to {@code jitter} before
 * the first attempt of an automatic decision; after a failed attempt (the store errored or was
 * overloaded) an exponential backoff from {@code base}, bounded by {@code cap}, each delay drawn
 * between half and all of it, and never shorter than the store's Retry-After; after finding the
 * lease held, the next look within {@code heldRecheck} (at most a renew interval, so a holder
 * that died is taken over within its TTL plus one renew interval).
 */
final class LeaseAttempts {
  private final Duration jitter;
  private final Duration base;
  private final Duration cap;
  private final Duration heldRecheck;
  private final DoubleSupplier random;
  private int failures;
  private @Nullable Instant next;

  LeaseAttempts(Duration jitter, Duration base, Duration cap, Duration heldRecheck) {
    this(jitter, base, cap, heldRecheck, () -> ThreadLocalRandom.current().nextDouble());
  }

  LeaseAttempts(Duration jitter, Duration base, Duration cap, Duration heldRecheck, DoubleSupplier random) {
    this.jitter = jitter;
    this.base = base;
    this.cap = cap;
    this.heldRecheck = heldRecheck;
    this.random = random;
  }

  /** Whether an attempt may be made at {@code now}. */
  boolean due(Instant now) {
    return next == null || !now.isBefore(next);
  }

  /** The time of the next attempt; null when one may be made now. */
  @Nullable Instant next() {
    return next;
  }

  int failures() {
    return failures;
  }

  /**
   * Before the first attempt of an automatic decision: the delay drawn from [0, jitter], or zero
   * when an attempt was already made or scheduled.
   */
  Duration firstDelay(Instant now) {
    if (next != null || failures > 0 || jitter.isZero()) return Duration.ZERO;
    Duration d = scale(jitter, random.getAsDouble());
    next = now.plus(d);
    return d;
  }

  /** The attempt failed with {@code e}: the delay until the next one. */
  Duration failed(Instant now, RuntimeException e) {
    failures++;
    Duration backoff = base.multipliedBy(1L << Math.min(failures - 1, 20));
    if (backoff.compareTo(cap) > 0) backoff = cap;
    Duration d = scale(backoff, 0.5 + 0.5 * random.getAsDouble());
    if (e instanceof LeaseUnavailableException u && u.retryAfter().isPresent()) {
      Duration asked = u.retryAfter().get();
      Duration spread = asked.plus(scale(asked, 0.5 * random.getAsDouble()));
      if (spread.compareTo(d) > 0) d = spread;
    }
    next = now.plus(d);
    return d;
  }

  /** Another replica holds it: the delay until the next look. */
  Duration held(Instant now) {
    failures = 0;
    Duration d = scale(heldRecheck, 0.5 + 0.5 * random.getAsDouble());
    next = now.plus(d);
    return d;
  }

  /** Granted, or the decision was given up: the next decision starts afresh. */
  void reset() {
    failures = 0;
    next = null;
  }

  private static Duration scale(Duration d, double f) {
    return Duration.ofNanos((long) (d.toNanos() * f));
  }
}
