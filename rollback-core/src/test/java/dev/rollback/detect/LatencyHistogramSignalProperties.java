package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** The recorder's latency buckets: every latency lands in a bucket that holds it, at most 25% wide. */
class LatencyHistogramSignalProperties {

  @Property
  void aLatencyFallsInTheBucketWhoseBoundsHoldIt(@ForAll @LongRange(min = 0, max = Long.MAX_VALUE) long nanos) {
    int b = LatencyHistogram.bucketOf(nanos);
    assertThat(LatencyHistogram.upperBoundNanos(b)).isGreaterThanOrEqualTo(nanos);
    int prev = b - 1;
    while (prev >= 0 && prev >= 4 && prev < 8) prev--;
    if (prev >= 0) assertThat(LatencyHistogram.upperBoundNanos(prev)).isLessThan(nanos);
    if (nanos >= 8) assertThat((double) LatencyHistogram.upperBoundNanos(b)).isLessThanOrEqualTo(nanos * 1.25 + 1);
  }

  @Property(tries = 200)
  void theRecorderCountsEveryRequestAndItsPercentilesNeverReportFaster(
      @ForAll @Size(min = 1, max = 300) List<@LongRange(min = 0, max = 10_000_000_000L) Long> latencies) {
    RequestRecorder r = RequestRecorder.create("r");
    long failures = 0;
    for (int i = 0; i < latencies.size(); i++) {
      if (i % 3 == 0) {
        r.failure(latencies.get(i));
        failures++;
      } else {
        r.success(latencies.get(i));
      }
    }
    Observations o = r.observe(Instant.EPOCH);
    assertThat(o.total()).isEqualTo(latencies.size());
    assertThat(o.failures()).isEqualTo(failures);
    long max = latencies.stream().mapToLong(Long::longValue).max().orElseThrow();
    Duration p100 = o.latency().percentile(1.0).orElseThrow();
    assertThat(p100.toNanos()).isGreaterThanOrEqualTo(max).isLessThanOrEqualTo((long) (max * 1.25) + 8);
  }
}
