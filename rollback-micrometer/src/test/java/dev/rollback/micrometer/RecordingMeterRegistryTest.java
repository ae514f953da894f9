package dev.rollback.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import dev.rollback.engine.ManualClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RecordingMeterRegistryTest {
  private final ManualClock clock = ManualClock.create();
  private final SimpleMeterRegistry app = new SimpleMeterRegistry();
  private final CompositeMeterRegistry composite = new CompositeMeterRegistry();

  RecordingMeterRegistryTest() {
    composite.add(app);
  }

  private void request(String uri, int status, long millis) {
    Timer.builder("http.server.requests").tag("uri", uri).tag("status", String.valueOf(status))
        .tag("outcome", status >= 500 ? "SERVER_ERROR" : status >= 400 ? "CLIENT_ERROR" : "SUCCESS")
        .register(composite).record(Duration.ofMillis(millis));
  }

  @Test
  void everyRecordingIsARequestWithItsOwnLatencyAndOutcome() {
    RecordingMeterRegistry recording = RecordingMeterRegistry.httpServerRequests(1);
    composite.add(recording);
    for (int i = 0; i < 95; i++) request("/cart", 200, 2);
    for (int i = 0; i < 3; i++) request("/cart", 404, 2);
    for (int i = 0; i < 2; i++) request("/pay", 503, 900);

    Observations o = recording.signal().observe(clock.instant());
    assertThat(o.total()).isEqualTo(100);
    assertThat(o.failures()).isEqualTo(2);
    // the two slow failures are their own bucket, not smeared into a mean
    assertThat(o.latency().percentile(0.50).orElseThrow()).isLessThan(Duration.ofMillis(3));
    assertThat(o.latency().percentile(0.99).orElseThrow()).isGreaterThanOrEqualTo(Duration.ofMillis(800));
    // the application's own registry still has its timers
    assertThat(app.find("http.server.requests").timers()).hasSize(3);
  }

  @Test
  void timersRegisteredBeforeTheRegistryWasAddedAreFollowedToo() {
    request("/cart", 200, 2);
    RecordingMeterRegistry recording = RecordingMeterRegistry.httpServerRequests(1);
    composite.add(recording);
    request("/cart", 200, 2);
    request("/cart", 500, 2);
    Observations o = recording.signal().observe(clock.instant());
    assertThat(o.total()).isEqualTo(2);
    assertThat(o.failures()).isEqualTo(1);
  }

  @Test
  void otherMetersAndUnselectedTimersAreNotKept() {
    RecordingMeterRegistry recording = RecordingMeterRegistry.timers("http.server.requests",
        id -> "/pay".equals(id.getTag("uri")), MicrometerSignals::isServerError, 1);
    composite.add(recording);
    composite.counter("orders").increment();
    Timer.builder("db.query").register(composite).record(Duration.ofMillis(5));
    request("/cart", 500, 5);
    request("/pay", 200, 5);

    assertThat(recording.signal().observe(clock.instant()).total()).isEqualTo(1);
    assertThat(recording.getMeters()).allSatisfy(m -> assertThat(m.getId().getName()).isEqualTo("http.server.requests"));
  }

  @Test
  void aLatencyPercentileRuleSeesTheSlowTail() {
    RecordingMeterRegistry recording = RecordingMeterRegistry.httpServerRequests(10);
    composite.add(recording);
    Trigger.Evaluator p99 = Trigger.latency(recording.signal()).percentile(0.99).above(Duration.ofMillis(500))
        .over(Duration.ofSeconds(10)).minSamples(50).newEvaluator();
    p99.evaluate(clock.instant());
    for (int s = 0; s < 10; s++) {
      for (int i = 0; i < 20; i++) request("/cart", 200, 20);
      clock.advance(Duration.ofSeconds(1));
      assertThat(p99.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    }
    // 5% of requests now take 2 s: the mean moves from 20 ms to ~120 ms, far below the limit,
    // while the p99 is 2 s
    for (int s = 0; s < 10; s++) {
      for (int i = 0; i < 19; i++) request("/cart", 200, 20);
      request("/cart", 200, 2_000);
      clock.advance(Duration.ofSeconds(1));
    }
    Evaluation e = p99.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
  }

  @Test
  void badArgumentsAreNamed() {
    assertThatThrownBy(() -> RecordingMeterRegistry.timers(" ", id -> true, id -> false, 1))
        .hasMessageContaining("timer name");
    assertThatThrownBy(() -> RecordingMeterRegistry.httpServerRequests(0))
        .hasMessageContaining("minRequestsPerSecond");
  }
}
