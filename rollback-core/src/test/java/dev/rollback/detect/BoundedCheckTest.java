package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** A probe that hangs costs one thread, never the guard's: the poll answers UNKNOWN in time. */
class BoundedCheckTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);


  @Test
  void aHangingProbeIsUnknownWithinItsTimeoutAndNotStartedAgainWhileStuck() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean hang = new AtomicBoolean(true);
    AtomicBoolean interrupted = new AtomicBoolean();
    HealthCheck probe = HealthCheck.of("db ping", () -> {
      if (hang.get()) {
        try {
          release.await();
        } catch (InterruptedException e) {
          interrupted.set(true);
          release.await(); // ignores the interrupt, as a stuck driver call would
        }
      }
      return HealthStatus.UP;
    });
    Signal polled = Signals.poll(probe, Duration.ofMillis(200));
    assertThat(polled.sampleInterval()).as("a lambda counts as prompt in the formulas").isEqualTo(Duration.ofMillis(200));

    Instant t0 = Instant.EPOCH;
    long start = System.nanoTime();
    Observations first = polled.observe(t0);
    long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(tookMs).as("the poll returned after the timeout, not never").isLessThan(5_000);
    assertThat(first.unknown()).isEqualTo(1);
    assertThat(first.failures()).isZero();
    assertThat(first.detail()).contains("did not answer within PT0.2S");
    await().atMost(HANG_GUARD).untilTrue(interrupted);

    Observations again = polled.observe(t0.plusMillis(200));
    assertThat(again.unknown()).isEqualTo(2);
    assertThat(again.detail()).contains("has not answered for").contains("not started again");

    hang.set(false);
    release.countDown();
    long[] second = {60};
    await().atMost(HANG_GUARD).until(() -> polled.observe(t0.plusSeconds(second[0]++)).detail().contains("UP"));
    Observations later = polled.observe(t0.plusSeconds(second[0]));
    assertThat(later.trailingUnknown()).isZero();
  }

  @Test
  void checksWithTimeoutsOfTheirOwnAreNotWrapped() {
    HealthCheck http = HealthCheck.http("api", java.net.URI.create("http://127.0.0.1:1/health"));
    assertThat(http.withTimeout(Duration.ofSeconds(1))).isSameAs(http);
    HealthCheck lambda = HealthCheck.of("x", () -> HealthStatus.UP);
    assertThat(lambda.withTimeout(Duration.ofSeconds(1))).isNotSameAs(lambda);
    assertThat(lambda.withTimeout(Duration.ofSeconds(1)).check().status()).isEqualTo(HealthStatus.UP);
  }
}
