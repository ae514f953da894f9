package dev.rollback.detect;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;

/** Test doubles: a request signal the test feeds counts into, and a health check answering from a script. */
final class ScriptedSignal implements Signal {
  private final String name;
  private final Duration sampleInterval;
  private long total;
  private long failures;
  private final long[] latency = new long[LatencyHistogram.BUCKETS];

  ScriptedSignal(String name, Duration sampleInterval) {
    this.name = name;
    this.sampleInterval = sampleInterval;
  }

  static ScriptedSignal requests(String name) {
    return new ScriptedSignal(name, Duration.ofSeconds(1));
  }

  synchronized ScriptedSignal add(long good, long bad) {
    return add(good, bad, Duration.ofMillis(10));
  }

  synchronized ScriptedSignal add(long good, long bad, Duration latencyEach) {
    total += good + bad;
    failures += bad;
    latency[LatencyHistogram.bucketOf(latencyEach.toNanos())] += good + bad;
    return this;
  }

  @Override public String name() { return name; }
  @Override public Duration sampleInterval() { return sampleInterval; }

  @Override
  public synchronized Observations observe(Instant now) {
    return new Observations(name, now, total, failures, 0, -1, -1, total + " requests", LatencyHistogram.of(latency));
  }

  /** A health check that answers the scripted statuses in order, then repeats the last one. */
  static final class ScriptedCheck implements HealthCheck {
    private final String name;
    private final Deque<HealthStatus> script = new ArrayDeque<>();
    private HealthStatus last = HealthStatus.UP;
    int calls;

    ScriptedCheck(String name) {
      this.name = name;
    }

    synchronized ScriptedCheck then(HealthStatus... statuses) {
      for (HealthStatus s : statuses) script.add(s);
      return this;
    }

    synchronized void always(HealthStatus s) {
      script.clear();
      last = s;
    }

    @Override public String name() { return name; }

    @Override
    public synchronized Health check() {
      calls++;
      if (!script.isEmpty()) last = script.poll();
      return Health.of(name, last, Duration.ofMillis(3), "scripted " + last);
    }
  }
}
