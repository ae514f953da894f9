package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.LatencyHistogram;
import dev.rollback.Observations;
import dev.rollback.RequestRecorder;
import dev.rollback.RequestRecorder.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RequestRecorderTest {

  @Test
  void countsOutcomesAndLatencyBuckets() {
    RequestRecorder r = RequestRecorder.create("checkout");
    r.success(1_000);
    r.success(1_000);
    r.failure(5_000_000);

    Observations o = r.observe(Instant.EPOCH);
    assertThat(o.total()).isEqualTo(3);
    assertThat(o.failures()).isEqualTo(1);
    LatencyHistogram failed = r.failureLatency();
    assertThat(failed.count()).isEqualTo(1);
    assertThat(failed.count(LatencyHistogram.bucketOf(5_000_000))).isEqualTo(1);
  }

  /** Threads racing on the same buckets lose no count, whichever stripe each ends up in. */
  @Test
  void concurrentRecordsAreAllCounted() throws Exception {
    RequestRecorder r = RequestRecorder.create("checkout");
    int threads = 8;
    int perThread = 200_000;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        try {
          start.await(10, TimeUnit.SECONDS);
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        for (int i = 0; i < perThread; i++) {
          r.record((i + id) % 10 == 0 ? Outcome.FAILURE : Outcome.SUCCESS, 1_000_000L + (i & 0xFFFF));
        }
      });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) th.join(60_000);

    Observations o = r.observe(Instant.EPOCH);
    assertThat(o.total()).isEqualTo((long) threads * perThread);
    assertThat(o.failures()).isEqualTo((long) threads * perThread / 10);
    assertThat(r.failureLatency().count()).isEqualTo(o.failures());
  }
}
