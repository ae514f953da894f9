package dev.rollback.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MicrometerSignalsTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final ManualClock clock = ManualClock.create();

  private void request(String uri, int status, long millis) {
    Timer.builder("http.server.requests").tag("uri", uri).tag("method", "GET").tag("status", String.valueOf(status))
        .tag("outcome", status >= 500 ? "SERVER_ERROR" : status >= 400 ? "CLIENT_ERROR" : "SUCCESS")
        .register(registry).record(Duration.ofMillis(millis));
  }

  @Test
  void httpServerRequestsCountsServerErrorsAsFailuresAndClientErrorsNot() {
    Signal s = MicrometerSignals.httpServerRequests(registry);
    for (int i = 0; i < 90; i++) request("/cart", 200, 5);
    for (int i = 0; i < 6; i++) request("/cart", 404, 5);
    for (int i = 0; i < 4; i++) request("/pay", 503, 5);
    Observations o = s.observe(clock.instant());
    assertThat(o.total()).isEqualTo(100);
    assertThat(o.failures()).isEqualTo(4);
    assertThat(o.latency().count()).isEqualTo(100);
  }

  @Test
  void aSelectorNarrowsTheSignalToOneUri() {
    Signal pay = MicrometerSignals.httpServerRequests(registry, id -> "/pay".equals(id.getTag("uri")));
    request("/cart", 500, 5);
    request("/pay", 200, 5);
    request("/pay", 502, 5);
    Observations o = pay.observe(clock.instant());
    assertThat(o.total()).isEqualTo(2);
    assertThat(o.failures()).isEqualTo(1);
  }

  @Test
  void anErrorRatioRuleFiresOnMicrometerTimersIncludingMetersRegisteredLater() {
    Trigger.Evaluator t = Trigger.errorRatio(MicrometerSignals.httpServerRequests(registry)).above(0.05).over(Duration.ofSeconds(2))
        .minSamples(50).newEvaluator();
    t.evaluate(clock.instant());
    for (int i = 0; i < 100; i++) request("/cart", 200, 5);
    clock.advance(Duration.ofSeconds(1));
    assertThat(t.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    for (int i = 0; i < 20; i++) request("/cart", 500, 5);
    clock.advance(Duration.ofSeconds(1));
    Evaluation e = t.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("20 of 120 failed");
  }

  @Test
  void countersWorkAsASignal() {
    Signal s = MicrometerSignals.counters(registry, "orders", "orders.failed", 1);
    Counter.builder("orders").tag("region", "eu").register(registry).increment(30);
    Counter.builder("orders").tag("region", "us").register(registry).increment(70);
    Counter.builder("orders.failed").register(registry).increment(7);
    Observations o = s.observe(clock.instant());
    assertThat(o.total()).isEqualTo(100);
    assertThat(o.failures()).isEqualTo(7);
  }

  @Test
  void aGuardOnMicrometerMetersRollsBackOnceAndTheEngineMetricsShowIt() {
    AtomicInteger executed = new AtomicInteger();
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("kill switch").execute(ctx -> executed.incrementAndGet()).build()).build();
    try (RollbackEngine engine = RollbackEngine.builder().withClock(clock).withListener(RollbackMetrics.listener(registry)).build();
         Guard guard = Guard.builder(plan, Deployment.of("checkout", "2.4.0")).withEngine(engine)
             .trigger(Trigger.sequential(MicrometerSignals.httpServerRequests(registry)))
             .withEvaluationInterval(Duration.ofMillis(100)).build()) {
      RollbackMetrics.bind(guard, registry);
      guard.arm();
      clock.runDue();
      assertThat(registry.get("rollback.guard.state").gauge().value()).isEqualTo(GuardState.ARMED.ordinal());
      for (int tick = 0; tick < 50 && guard.state() == GuardState.ARMED; tick++) {
        for (int i = 0; i < 5; i++) request("/pay", 503, 5);
        clock.advance(Duration.ofMillis(100));
      }
      assertThat(guard.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
      assertThat(guard.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(executed).hasValue(1);
      assertThat(registry.get("rollback.runs.started").tag("plan", "checkout-2.4.0").counter().count()).isEqualTo(1);
      assertThat(registry.get("rollback.runs.finished").tag("outcome", "RECOVERED").timer().count()).isEqualTo(1);
      assertThat(registry.get("rollback.steps").tag("outcome", "Succeeded").counter().count()).isEqualTo(1);
      assertThat(registry.get("rollback.guard.state").gauge().value()).isEqualTo(GuardState.ROLLED_BACK.ordinal());
    }
  }
}
