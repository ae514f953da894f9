package dev.rollback.lb.internal;

import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * A {@link Signal} over a load balancer's per-server response counters, polled at most once per
 * interval: every response is an observation, every 5xx a failure, counted from the first poll.
 * A poll that fails adds one UNKNOWN observation with the reason, never an exception.
 */
public final class CounterSignal implements Signal {
  /** One reading of a server's cumulative counters. */
  public record Reading(long responses, long failures, String detail) {}

  private final String name;
  private final Duration interval;
  private final Duration timeout;
  private final Supplier<Reading> poll;
  private @Nullable Reading baseline;
  private @Nullable Instant lastPoll;
  private long total;
  private long failures;
  private long unknown;
  private String detail = "nothing observed yet";

  public CounterSignal(String name, Duration interval, Duration timeout, Supplier<Reading> poll) {
    this.name = name;
    this.interval = interval;
    this.timeout = timeout;
    this.poll = poll;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public synchronized Observations observe(Instant now) {
    if (lastPoll == null || !now.isBefore(lastPoll.plus(interval))) {
      lastPoll = now;
      try {
        Reading r = poll.get();
        if (baseline == null) baseline = r;
        total = unknown + Math.max(0, r.responses() - baseline.responses());
        failures = Math.max(0, r.failures() - baseline.failures());
        detail = r.detail();
      } catch (RuntimeException e) {
        unknown++;
        total++;
        detail = "cannot read the counters: " + e.getMessage();
      }
    }
    return new Observations(name, now, total, Math.min(failures, total - unknown), unknown, -1, -1, detail,
        dev.rollback.detect.LatencyHistogram.empty());
  }

  @Override
  public Duration sampleInterval() {
    return interval.plus(timeout);
  }

  @Override
  public String toString() {
    return "Signal[" + name + "]";
  }
}
