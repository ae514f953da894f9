package dev.rollback;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.Callable;

/**
 * A named probe. {@link #check()} never throws: a failure to probe is {@link HealthStatus#UNKNOWN}
 * or {@link HealthStatus#DOWN} with the reason in the detail.
 */
public interface HealthCheck {

  String name();

  Health check();

  /** A check from a lambda returning a status; an exception counts as DOWN with its message. */
  static HealthCheck of(String name, Callable<HealthStatus> probe) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(probe, "probe");
    return new HealthCheck() {
      @Override public String name() { return name; }
      @Override public Health check() {
        Instant start = Instant.now();
        try {
          HealthStatus status = Objects.requireNonNull(probe.call(), () -> "check '" + name + "' returned null");
          return Health.of(name, status, Duration.between(start, Instant.now()), status.name());
        } catch (Exception e) {
          return Health.of(name, HealthStatus.DOWN, Duration.between(start, Instant.now()),
              e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }
      @Override public String toString() { return "HealthCheck[" + name + "]"; }
    };
  }

  /** A check that always reports {@code status}; for tests and drills. */
  static HealthCheck constant(String name, HealthStatus status) {
    return of(name, () -> status);
  }

  /** Latency measured on {@code clock}; for use by implementations. */
  static Duration since(Clock clock, Instant start) {
    return Duration.between(start, clock.instant());
  }
}
