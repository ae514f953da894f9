package dev.rollback.detect;

import java.time.Duration;
import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.detect.RequestRecorder.Outcome;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RequestRecorderTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


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
    assertAllCounted(RequestRecorder.create("checkout"));
  }

  /**
   * One slot for all: the first thread owns its array and adds without a locked instruction, the
   * seven others share the slot's common array with atomic adds; a plain add by the owner in an
   * array another thread also wrote would lose counts here.
   */
  @Test
  void threadsSharingASlotWithItsOwnerLoseNoCount() throws Exception {
    assertAllCounted(RequestRecorderSlots.withSlots("checkout", 1));
  }

  /** Threads that end leave their counts behind; later threads hashing to their slots still count. */
  @Test
  void countsOfThreadsThatEndedStay() throws Exception {
    RequestRecorder r = RequestRecorderSlots.withSlots("checkout", 2);
    for (int t = 0; t < 16; t++) {
      Thread th = new Thread(() -> {
        for (int i = 0; i < 1_000; i++) r.success(2_000);
      });
      th.start();
      th.join();
    }
    assertThat(r.observe(Instant.EPOCH).total()).isEqualTo(16_000);
  }

  private static void assertAllCounted(RequestRecorder r) throws Exception {
    int threads = 8;
    int perThread = 200_000;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        try {
          start.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
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
    for (Thread th : ts) assertThat(th.isAlive()).isFalse();

    Observations o = r.observe(Instant.EPOCH);
    assertThat(o.total()).isEqualTo((long) threads * perThread);
    assertThat(o.failures()).isEqualTo((long) threads * perThread / 10);
    assertThat(r.failureLatency().count()).isEqualTo(o.failures());
  }
}
