package dev.rollback.detect;

import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * Counts of request latencies in log-linear buckets (four per power of two, so a bucket is at
 * most 25% wide), cumulative since a signal started. Immutable; {@link #minus} gives the counts
 * of a window. Percentiles report the upper bound of the bucket holding the rank, so they err
 * on the slow side by at most one bucket.
 */
public final class LatencyHistogram {
  /** Number of buckets; bucket {@code i} holds latencies up to {@link #upperBoundNanos(int) upperBoundNanos(i)}. */
  public static final int BUCKETS = 256;
  private static final LatencyHistogram EMPTY = new LatencyHistogram(new long[BUCKETS], 0);

  private final long[] counts;
  private final long total;

  private LatencyHistogram(long[] counts, long total) {
    this.counts = counts;
    this.total = total;
  }

  public static LatencyHistogram empty() {
    return EMPTY;
  }

  /** A histogram from bucket counts (copied); {@code counts.length} must be {@link #BUCKETS}. */
  public static LatencyHistogram of(long[] counts) {
    Objects.requireNonNull(counts, "counts");
    if (counts.length != BUCKETS) {
      throw new IllegalArgumentException("a latency histogram has " + BUCKETS + " buckets, got " + counts.length);
    }
    long t = 0;
    for (long c : counts) {
      if (c < 0) throw new IllegalArgumentException("bucket counts must not be negative: " + Arrays.toString(counts));
      t += c;
    }
    return new LatencyHistogram(counts.clone(), t);
  }

  /** The bucket a latency of {@code nanos} falls in (negative latencies count as zero). */
  public static int bucketOf(long nanos) {
    if (nanos < 4) return nanos <= 0 ? 0 : (int) nanos;
    int e = 63 - Long.numberOfLeadingZeros(nanos);
    int sub = (int) (nanos >>> (e - 2)) & 3;
    return (e << 2) | sub;
  }

  /** The largest latency, in nanoseconds, that falls in {@code bucket}. */
  public static long upperBoundNanos(int bucket) {
    if (bucket < 0 || bucket >= BUCKETS) throw new IllegalArgumentException("no such bucket: " + bucket);
    if (bucket < 8) return Math.min(bucket, 3);
    int e = bucket >>> 2;
    int sub = bucket & 3;
    if (e >= 62) return sub == 3 && e == 62 ? Long.MAX_VALUE : ((4L + sub + 1) << (e - 2)) - 1;
    return ((4L + sub + 1) << (e - 2)) - 1;
  }

  public long count() {
    return total;
  }

  public boolean isEmpty() {
    return total == 0;
  }

  public long count(int bucket) {
    return counts[bucket];
  }

  /** The counts added since {@code earlier} (a snapshot of the same signal taken before this one). */
  public LatencyHistogram minus(LatencyHistogram earlier) {
    Objects.requireNonNull(earlier, "earlier");
    if (earlier.total == 0) return this;
    long[] out = new long[BUCKETS];
    long t = 0;
    for (int i = 0; i < BUCKETS; i++) {
      out[i] = Math.max(0, counts[i] - earlier.counts[i]);
      t += out[i];
    }
    return new LatencyHistogram(out, t);
  }

  /** This histogram plus {@code other}. */
  public LatencyHistogram plus(LatencyHistogram other) {
    if (other.total == 0) return this;
    if (total == 0) return other;
    long[] out = new long[BUCKETS];
    for (int i = 0; i < BUCKETS; i++) out[i] = counts[i] + other.counts[i];
    return new LatencyHistogram(out, total + other.total);
  }

  /** The {@code q}-quantile (0 &lt; q ≤ 1), as the upper bound of its bucket; empty when there are no samples. */
  public Optional<Duration> percentile(double q) {
    if (!(q > 0 && q <= 1)) throw new IllegalArgumentException("percentile must be in (0, 1]: " + q);
    if (total == 0) return Optional.empty();
    long rank = (long) Math.ceil(q * total);
    long seen = 0;
    for (int i = 0; i < BUCKETS; i++) {
      seen += counts[i];
      if (seen >= rank) return Optional.of(Duration.ofNanos(upperBoundNanos(i)));
    }
    return Optional.of(Duration.ofNanos(upperBoundNanos(BUCKETS - 1)));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LatencyHistogram h && h.total == total && Arrays.equals(h.counts, counts);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(counts);
  }

  @Override
  public String toString() {
    if (total == 0) return "LatencyHistogram[empty]";
    return "LatencyHistogram[" + total + " samples, p50 " + percentile(0.5).orElseThrow().toNanos() / 1000 + " µs, p99 "
        + percentile(0.99).orElseThrow().toNanos() / 1000 + " µs]";
  }
}
