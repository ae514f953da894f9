package dev.rollback.test;

import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Observations;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * A request signal the test feeds: {@link #record(long, long)} adds good and failed requests, and
 * {@link #observe} reports the cumulative counts, as the application's own
 * {@link dev.rollback.detect.RequestRecorder} would. A recorded failure runs the wake-ups a guard
 * registered, so the guard evaluates at once. Thread-safe.
 *
 * <pre>{@code
 * ScriptedSignal requests = ScriptedSignal.requests("checkout requests");
 * Trigger rule = Trigger.errorRatio(requests);
 * requests.record(95, 5);
 * }</pre>
 */
public final class ScriptedSignal implements Signal {
  private final String name;
  private final Duration sampleInterval;
  private final @Nullable RuntimeException failure;
  private final long[] latency = new long[LatencyHistogram.BUCKETS];
  private final List<Runnable> wakeUps = new CopyOnWriteArrayList<>();
  private long total;
  private long failures;
  private long unknown;
  private int observations;

  private ScriptedSignal(String name, Duration sampleInterval, @Nullable RuntimeException failure) {
    this.name = Objects.requireNonNull(name, "name");
    Objects.requireNonNull(sampleInterval, "sampleInterval");
    if (sampleInterval.isNegative() || sampleInterval.isZero()) {
      throw new IllegalArgumentException("sample interval must be positive: " + sampleInterval);
    }
    this.sampleInterval = sampleInterval;
    this.failure = failure;
  }

  /** Requests with a sample interval of 1 s (what the rules' worst-case formulas use). */
  public static ScriptedSignal requests(String name) {
    return requests(name, Duration.ofSeconds(1));
  }

  public static ScriptedSignal requests(String name, Duration sampleInterval) {
    return new ScriptedSignal(name, sampleInterval, null);
  }

  /**
   * A signal whose {@link #observe} throws {@code failure}: one that breaks its promise never to
   * throw, to test that the rules reading it cope.
   */
  public static ScriptedSignal throwing(String name, RuntimeException failure) {
    return new ScriptedSignal(name, Duration.ofSeconds(1), Objects.requireNonNull(failure, "failure"));
  }

  /** Adds {@code good} and {@code bad} requests of 10 ms each. Changes this signal. */
  public void record(long good, long bad) {
    record(good, bad, Duration.ofMillis(10));
  }

  /** Adds {@code good} and {@code bad} requests that each took {@code latencyEach}. Changes this signal. */
  public void record(long good, long bad, Duration latencyEach) {
    if (good < 0 || bad < 0) throw new IllegalArgumentException("counts must not be negative: " + good + ", " + bad);
    Objects.requireNonNull(latencyEach, "latencyEach");
    synchronized (this) {
      total += good + bad;
      failures += bad;
      latency[LatencyHistogram.bucketOf(latencyEach.toNanos())] += good + bad;
    }
    if (bad > 0) wakeUps.forEach(Runnable::run);
  }

  /** Adds {@code n} observations that could not tell (neither good nor failed). Changes this signal. */
  public synchronized void recordUnknown(long n) {
    if (n < 0) throw new IllegalArgumentException("count must not be negative: " + n);
    total += n;
    unknown += n;
  }

  /** How many times {@link #observe} was called. */
  public synchronized int observations() {
    return observations;
  }

  @Override public String name() { return name; }
  @Override public Duration sampleInterval() { return sampleInterval; }

  @Override
  public synchronized Observations observe(Instant now) {
    observations++;
    if (failure != null) throw failure;
    return new Observations(name, now, total, failures, unknown, -1, -1,
        total + " requests, " + failures + " failed", LatencyHistogram.of(latency));
  }

  @Override public void addWakeUp(Runnable wakeUp) { wakeUps.add(Objects.requireNonNull(wakeUp, "wakeUp")); }
  @Override public void removeWakeUp(Runnable wakeUp) { wakeUps.remove(wakeUp); }

  @Override
  public String toString() {
    return "ScriptedSignal[" + name + "]";
  }
}
