package dev.rollback.detect;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * The application's own request path as a {@link Signal}: call {@link #record} once per request
 * with its outcome and latency. Lock-free and allocation-free per call: a thread adds to the
 * counter of the outcome's latency bucket in an array only it writes (a plain add, no locked
 * instruction), or with one atomic add where it shares an array, so it can sit on the hottest
 * path of a service.
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
  private static final VarHandle CELL = MethodHandles.arrayElementVarHandle(long[].class);
  private static final VarHandle STRIPE = MethodHandles.arrayElementVarHandle(long[][].class);
  /** Counters per stripe: successes by bucket, then failures by bucket. */
  private static final int CELLS = 2 * LatencyHistogram.BUCKETS;
  private static final int STRIPES = stripes(Runtime.getRuntime().availableProcessors());
  /** The cell of an owned array that holds its owner's thread id. */
  private static final int OWNER = CELLS;

  private final String name;
  private final Duration sampleInterval;
  private final int mask;
  /**
   * Counters for the whole histogram, one array per thread that owns it: each thread hashes its id
   * to a slot and, if the slot is free, claims it (the array's last cell holds the owner's id).
   * Only the owner writes an owned array, so a count there is a plain add with an opaque store:
   * no locked instruction on the request path. An array is 4 KiB, so owners never share a cache
   * line. A thread whose slot another thread owns (or owned: a thread that ended keeps its slot)
   * counts in the shared array of that slot with one locked add instead. Should the JVM give an
   * ended thread's id to a new one, the new thread adds to the array its predecessor can no longer
   * write.
   */
  private final long[][] owned;
  private final long[][] shared;
  private volatile Runnable[] wakeUps = NONE;

  private RequestRecorder(String name, Duration sampleInterval, int slots) {
    this.name = name;
    this.sampleInterval = sampleInterval;
    this.mask = slots - 1;
    this.owned = new long[slots][];
    this.shared = new long[slots][];
  }

  /**
   * A power of two ≥ 16 × cpus, between 64 and 256. Two threads whose ids hash to one slot share
   * its array for good (nothing rehashes them), so slots are many; each array is created on the
   * first count of a thread that lands on it, so an unused slot costs two nulls.
   */
  private static int stripes(int cpus) {
    int want = Integer.highestOneBit(Math.max(1, Math.min(cpus, 64)) * 16 * 2 - 1);
    return Math.max(64, Math.min(256, want));
  }

  /** A recorder with {@code slots} slots (a power of two): tests force threads to share one. */
  static RequestRecorder withSlots(String name, int slots) {
    if (slots < 1 || Integer.bitCount(slots) != 1) throw new IllegalArgumentException("slots must be a power of two: " + slots);
    return new RequestRecorder(name, Duration.ofSeconds(1), slots);
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
    return new RequestRecorder(name, Duration.ofNanos((long) Math.ceil(1e9 / minRequestsPerSecond)), STRIPES);
  }

  /** Records one request. Lock-free, no allocation. */
  public void record(Outcome outcome, long latencyNanos) {
    // successes by bucket, then failures by bucket: the index needs no branch
    count(outcome.ordinal() * LatencyHistogram.BUCKETS + LatencyHistogram.bucketOf(latencyNanos));
    if (outcome == Outcome.FAILURE) {
      Runnable[] ws = wakeUps;
      for (Runnable w : ws) {
        try {
          w.run();
        } catch (RuntimeException e) {
          // a wake-up must never break the application's request path
        }
      }
    }
  }

  private void count(int cell) {
    long id = Thread.currentThread().getId();
    int i = (int) ((id * 0x9E3779B97F4A7C15L) >>> 40) & mask;
    long[] s = (long[]) STRIPE.getAcquire(owned, i);
    if (s != null && s[OWNER] == id) {
      // this thread is the only writer of s: read, add, publish; readers see whole values (opaque)
      CELL.setOpaque(s, cell, (long) CELL.getOpaque(s, cell) + 1L);
      return;
    }
    countSlow(id, i, s, cell);
  }

  private void countSlow(long id, int i, long @Nullable [] s, int cell) {
    if (s == null) {
      long[] fresh = new long[CELLS + 1];
      fresh[OWNER] = id;
      long[] witness = (long[]) STRIPE.compareAndExchangeRelease(owned, i, (long[]) null, fresh);
      if (witness == null) {
        CELL.setOpaque(fresh, cell, 1L);
        return;
      }
      // another thread claimed the slot first: count with it in the shared array
    }
    long[] common = (long[]) STRIPE.getAcquire(shared, i);
    if (common == null) {
      long[] fresh = new long[CELLS];
      long[] witness = (long[]) STRIPE.compareAndExchangeRelease(shared, i, (long[]) null, fresh);
      common = witness == null ? fresh : witness;
    }
    CELL.getAndAdd(common, cell, 1L);
  }

  /** Every counter summed over the owned and shared arrays (successes by bucket, then failures by bucket). */
  private long[] sums() {
    long[] n = new long[CELLS];
    for (long[][] set : new long[][][] {owned, shared}) {
      for (int i = 0; i < set.length; i++) {
        long[] s = (long[]) STRIPE.getAcquire(set, i);
        if (s == null) continue;
        for (int c = 0; c < CELLS; c++) n[c] += (long) CELL.getOpaque(s, c);
      }
    }
    return n;
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
    long[] sums = sums();
    long[] all = new long[LatencyHistogram.BUCKETS];
    long failures = 0;
    for (int i = 0; i < LatencyHistogram.BUCKETS; i++) {
      long ok = sums[i];
      long bad = sums[LatencyHistogram.BUCKETS + i];
      all[i] = ok + bad;
      failures += bad;
    }
    LatencyHistogram h = LatencyHistogram.of(all);
    return new Observations(name, now, h.count(), failures, 0, -1, -1,
        h.count() + " requests, " + failures + " failed", h);
  }

  /** Latencies of the failed requests only. */
  public LatencyHistogram failureLatency() {
    long[] sums = sums();
    long[] bad = java.util.Arrays.copyOfRange(sums, LatencyHistogram.BUCKETS, CELLS);
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
