package dev.rollback.internal.detect;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import java.time.Duration;
import java.time.Instant;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A health check polled at most once per interval, when a rule reads it. */
public final class PolledSignal implements Signal {
  private static final Logger log = LoggerFactory.getLogger(PolledSignal.class);
  /** The longest a probe without a timeout of its own may take before it counts as UNKNOWN. */
  static final Duration MAX_TIMEOUT = Duration.ofSeconds(5);

  private final HealthCheck check;
  /** The check as given: its own timeout, if it has one, is part of the sample interval. */
  private final HealthCheck given;
  private final Duration interval;
  private final boolean unknownIsFailure;
  private @Nullable Instant lastPoll;
  private long total;
  private long failures;
  private long unknown;
  private long trailingFailures;
  private long trailingUnknown;
  private String detail = "not polled yet";
  private final long[] latency = new long[LatencyHistogram.BUCKETS];
  private @Nullable Health last;

  public PolledSignal(HealthCheck check, Duration interval) {
    this(check, interval, false);
  }

  /** With {@code unknownIsFailure}, a poll that could not tell counts as DOWN (the user asked for it). */
  public PolledSignal(HealthCheck check, Duration interval, boolean unknownIsFailure) {
    // a probe with no timeout of its own must not be able to stop the guard's one thread; the
    // formulas still take it as prompt (a hang ends as UNKNOWN, which never rolls back by itself)
    this.given = check;
    this.check = BoundedCheck.of(check, interval.compareTo(MAX_TIMEOUT) < 0 ? interval : MAX_TIMEOUT);
    this.interval = interval;
    this.unknownIsFailure = unknownIsFailure;
  }

  @Override
  public String name() {
    return check.name();
  }

  @Override
  public Duration sampleInterval() {
    return given instanceof TimedCheck t ? interval.plus(t.timeout()) : interval;
  }

  public Duration interval() {
    return interval;
  }

  @Override
  public synchronized Observations observe(Instant now) {
    if (lastPoll == null || !now.isBefore(lastPoll.plus(interval))) {
      lastPoll = now;
      poll();
    }
    return new Observations(check.name(), now, total, failures, unknown, trailingFailures, trailingUnknown, detail,
        LatencyHistogram.of(latency));
  }

  private void poll() {
    Health h;
    try {
      h = check.check();
      if (h == null) h = Health.of(check.name(), HealthStatus.UNKNOWN, Duration.ZERO, "the check returned null");
    } catch (RuntimeException e) {
      h = Health.of(check.name(), HealthStatus.UNKNOWN, Duration.ZERO, "the check threw " + e);
    }
    last = h;
    total++;
    latency[LatencyHistogram.bucketOf(h.latency().toNanos())]++;
    HealthStatus status = unknownIsFailure && h.status() == HealthStatus.UNKNOWN ? HealthStatus.DOWN : h.status();
    switch (status) {
      case UP -> {
        trailingFailures = 0;
        trailingUnknown = 0;
      }
      case DOWN, DEGRADED -> {
        failures++;
        trailingFailures++;
        trailingUnknown = 0;
      }
      case UNKNOWN -> {
        unknown++;
        trailingUnknown++;
      }
    }
    detail = h.toString();
    log.debug("polled {}: {}", check.name(), h);
  }

  /** The last poll's result, if any. */
  public synchronized @Nullable Health last() {
    return last;
  }

  @Override
  public String toString() {
    return "poll(" + check.name() + " every " + interval + (unknownIsFailure ? ", UNKNOWN counts as DOWN" : "") + ")";
  }
}
