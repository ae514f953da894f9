package dev.rollback.detect;

import java.time.Duration;
import java.time.Instant;

/**
 * A stream of observations that {@link Trigger}s judge: polled health checks
 * ({@link Signals#poll}), requests the application records on its own path
 * ({@link RequestRecorder}), metric meters ({@code rollback-micrometer}), Prometheus queries
 * ({@link HealthCheck#prometheus}), external alerts ({@link Alerts}).
 *
 * <p>{@link #observe} returns cumulative counts, so one signal can feed several rules. It must
 * not throw: a failure to observe is an UNKNOWN observation with the reason in the detail.
 */
public interface Signal {

  String name();

  /** Everything observed up to {@code now}; a polled signal polls here when its interval has passed. */
  Observations observe(Instant now);

  /**
   * The longest time between two observations this signal promises: the poll interval plus the
   * check's timeout, or for requests the gap at the lowest request rate it was declared with.
   * Rules use it in their worst-case detection formulas.
   */
  Duration sampleInterval();

  /**
   * Registers a callback run (on the recording thread, so it must be quick and must not block)
   * when a failure is observed, so a guard can evaluate at once instead of at its next tick.
   * Signals that are polled ignore it.
   */
  default void addWakeUp(Runnable wakeUp) {}

  /** Removes a callback added with {@link #addWakeUp}. */
  default void removeWakeUp(Runnable wakeUp) {}
}
