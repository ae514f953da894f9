package dev.rollback.detect;

import dev.rollback.internal.detect.PolledSignal;
import java.time.Duration;
import java.util.Objects;

/** Factories for {@link Signal}s. */
public final class Signals {
  private Signals() {}

  /**
   * Polls {@code check} every {@code interval} (the interval belongs to the signal: every rule
   * over it sees the same polls). A poll is DOWN or DEGRADED: a failure; UNKNOWN: neither a
   * failure nor a success. The poll runs when a rule reads the signal and the interval has passed.
   */
  public static Signal poll(HealthCheck check, Duration interval) {
    Objects.requireNonNull(check, "check");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("poll interval of '" + check.name() + "' must be positive: " + interval);
    }
    return new PolledSignal(check, interval);
  }

  /**
   * Like {@link #poll}, but a poll that could not tell (UNKNOWN: a timeout, a hang, no data)
   * counts as a failure. Opt in only where silence means the service is down: by default the
   * rules never roll back on missing data.
   */
  public static Signal pollTreatingUnknownAsDown(HealthCheck check, Duration interval) {
    poll(check, interval);
    return new PolledSignal(check, interval, true);
  }

}
