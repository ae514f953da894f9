package dev.rollback;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;

/**
 * The application's own request path as a {@link Signal}: call {@link #record} once per request
 * with its outcome and latency. Lock-free and allocation-free per call (one striped
 * {@link LongAdder} increment in the bucket for the outcome and latency), so it can sit on the
 * hottest path of a service.
 *
 * <pre>{@code
 * RequestRecorder requests = RequestRecorder.create("checkout requests");
 * // in the request handler
 * long start = System.nanoTime();
 * ... handle ...
 * requests.record(status >= 500 ? FAILURE : SUCCESS, System.nanoTime() - start);
 * }</pre>
 *
 * <p>A failure wakes the guard that watches this recorder, so rules are evaluated within
 * moments of a bad request rather than at the guard's next tick.
 */
public final class RequestRecorder implements Signal {

  /** How a request went. */
  public enum Outcome { SUCCESS, FAILURE }

  private static final Runnable[] NONE = new Runnable[0];

  private final String name;
  private final Duration sampleInterval;
  private final LongAdder[] cells = new LongAdder[2 * LatencyHistogram.BUCKETS];
  private volatile Runnable[] wakeUps = NONE;

  private RequestRecorder(String name, Duration sampleInterval) {
    this.name = name;
    this.sampleInterval = sampleInterval;
    for (int i = 0; i < cells.length; i++) cells[i] = new LongAdder();
  }

  /** A recorder that promises at least one request per second (see {@link #create(String, double)}). */
  public static RequestRecorder create(String name) {
    return create(name, 1.0);
  }

  /**
   * A recorder for a service that serves at least {@code minRequestsPerSecond} while it is up;
   * rules over it state their worst-case detection time at that rate.
   */
  public static RequestRecorder create(String name, double minRequestsPerSecond) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("signal name must not be blank");
    if (!(minRequestsPerSecond > 0) || Double.isInfinite(minRequestsPerSecond)) {
      throw new IllegalArgumentException("minRequestsPerSecond must be positive and finite: " + minRequestsPerSecond);
    }
    return new RequestRecorder(name, Duration.ofNanos((long) Math.ceil(1e9 / minRequestsPerSecond)));
  }

  /** Records one request. Lock-free, no allocation. */
  public void record(Outcome outcome, long latencyNanos) {
    int bucket = LatencyHistogram.bucketOf(latencyNanos);
    if (outcome == Outcome.FAILURE) {
      cells[LatencyHistogram.BUCKETS + bucket].increment();
      Runnable[] ws = wakeUps;
      for (Runnable w : ws) {
        try {
          w.run();
        } catch (RuntimeException e) {
          // a wake-up must never break the application's request path
        }
      }
    } else {
      cells[bucket].increment();
    }
  }

  /** Records one request with its latency as a Duration. */
  public void record(Outcome outcome, Duration latency) {
    record(outcome, latency.toNanos());
  }

  /** Records a successful request. */
  public void success(long latencyNanos) {
    record(Outcome.SUCCESS, latencyNanos);
  }

  /** Records a failed request. */
  public void failure(long latencyNanos) {
    record(Outcome.FAILURE, latencyNanos);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Duration sampleInterval() {
    return sampleInterval;
  }

  @Override
  public Observations observe(Instant now) {
    long[] all = new long[LatencyHistogram.BUCKETS];
    long failures = 0;
    for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
      long ok = cells[i].sum();
      long bad = cells[LatencyHistogram.BUCKETS + i].sum();
      all[i] = ok + bad;
      failures += bad;
    }
    LatencyHistogram h = LatencyHistogram.of(all);
    return new Observations(name, now, h.count(), failures, 0, -1, -1,
        h.count() + " requests, " + failures + " failed", h);
  }

  /** Latencies of the failed requests only. */
  public LatencyHistogram failureLatency() {
    long[] bad = new long[LatencyHistogram.BUCKETS];
    for (int i = 0; i < LatencyHistogram.BUCKETS; i++) bad[i] = cells[LatencyHistogram.BUCKETS + i].sum();
    return LatencyHistogram.of(bad);
  }

  @Override
  public synchronized void addWakeUp(Runnable wakeUp) {
    Objects.requireNonNull(wakeUp, "wakeUp");
    Runnable[] ws = Arrays.copyOf(wakeUps, wakeUps.length + 1);
    ws[ws.length - 1] = wakeUp;
    wakeUps = ws;
  }

  @Override
  public synchronized void removeWakeUp(Runnable wakeUp) {
    wakeUps = Arrays.stream(wakeUps).filter(w -> w != wakeUp).toArray(Runnable[]::new);
  }

  @Override
  public String toString() {
    return "RequestRecorder[" + name + "]";
  }
}
