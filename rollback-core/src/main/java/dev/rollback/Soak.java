package dev.rollback;

import java.time.Duration;
import java.util.Objects;

/**
 * How long recovery is watched after a rollback, and how often: for {@code window} after the last
 * step (a plan) or the last revert (a release), the {@code verifiedBy} checks and the triggers are
 * evaluated every {@code interval}; a check that is not UP or a trigger that says ROLL_BACK makes
 * the run NOT_RECOVERED. Built with {@code soakFor(window).checkingEvery(interval)}.
 */
public record Soak(Duration window, Duration interval) {
  /** The interval when none is given: 10 seconds, or the window when it is shorter. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(10);

  public Soak {
    Objects.requireNonNull(window, "window");
    Objects.requireNonNull(interval, "interval");
  }

  /** A soak of {@code window}, checking every 10 seconds (or once, at its end, when it is shorter). */
  public static Soak of(Duration window) {
    Objects.requireNonNull(window, "window");
    return new Soak(window, window.compareTo(DEFAULT_INTERVAL) < 0 ? window : DEFAULT_INTERVAL);
  }

  /** The problems of this soak, for validation; empty when it is valid. */
  java.util.List<String> problems() {
    java.util.List<String> p = new java.util.ArrayList<>();
    if (window.isNegative() || window.isZero()) p.add("soak window must be positive: " + window);
    if (interval.isNegative() || interval.isZero()) p.add("soak interval must be positive: " + interval);
    else if (interval.compareTo(window) > 0 && !window.isNegative() && !window.isZero()) {
      p.add("soak interval " + interval + " is longer than its window " + window);
    }
    return p;
  }

  @Override
  public String toString() {
    return "soak " + window + " every " + interval;
  }
}
