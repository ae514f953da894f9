package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A trigger whose window holds no samples, or only measurements that errored, for longer than its
 * window is inconclusive: it asks a human. It never passes (the release is not declared good) and
 * never rolls back by itself. The cases are the ones Argo Rollouts users met.
 */
class NoDataIsNotGoodNewsTest {
  private final ManualClock clock = ManualClock.create();

  /** Evaluates every {@code every} for {@code span}; returns every verdict in order. */
  private List<Evaluation> watch(Trigger.Evaluator e, Duration span, Duration every) {
    List<Evaluation> out = new ArrayList<>();
    out.add(e.evaluate(clock.instant()));
    for (Duration t = Duration.ZERO; t.compareTo(span) < 0; t = t.plus(every)) {
      clock.advance(every);
      out.add(e.evaluate(clock.instant()));
    }
    return out;
  }

  private static List<Verdict> verdicts(List<Evaluation> evs) {
    return evs.stream().map(Evaluation::verdict).toList();
  }

  /**
   * A measurement source that errors on every query (a metric provider that is down, a query that
   * returns nothing): UNKNOWN, as the Prometheus check answers then, never a failure of the service.
   */
  private static HealthCheck erroring(String name) {
    return new HealthCheck() {
      @Override public String name() { return name; }
      @Override public Health check() {
        return Health.of(name, HealthStatus.UNKNOWN, Duration.ofMillis(5), "query failed: no datapoints");
      }
    };
  }

  @Test
  void argoRollouts4479_everyMeasurementErroredIsNotASuccess() {
    // an analysis whose every measurement errored reported "Successful"
    Trigger t = Trigger.errorRatio(Signals.poll(erroring("datadog cpu limits"), Duration.ofSeconds(30)))
        .above(0.02).over(Duration.ofMinutes(5)).minSamples(5);
    Trigger.Evaluator e = t.newEvaluator();

    List<Evaluation> evs = watch(e, Duration.ofMinutes(8), Duration.ofSeconds(30));

    assertThat(verdicts(evs)).doesNotContain(Verdict.ROLL_BACK);
    assertThat(verdicts(evs.subList(0, 10))).containsOnly(Verdict.HOLD); // within the window: still collecting
    Evaluation last = evs.get(evs.size() - 1);
    assertThat(last.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(last.evidence()).contains("no data to judge for", "longer than the rule's window",
        "observations could not tell (errored)");
    assertThat(e.evaluateAtDeadline(clock.instant()).verdict()).as("at the end: never a pass").isEqualTo(Verdict.ASK_HUMAN);
  }

  @Test
  void argoRollouts2158_aProviderThatAnswersErrorsLeavesTheSequentialTestAsking() {
    // a provider answering errors, counted as neither success nor failure, let the analysis pass
    Signal errored = new Signal() {
      long polls;
      @Override public String name() { return "prometheus success-rate"; }
      @Override public Duration sampleInterval() { return Duration.ofSeconds(1); }
      @Override public synchronized Observations observe(Instant now) {
        polls++;
        return new Observations(name(), now, polls, 0, polls, -1, -1, "query error", LatencyHistogram.empty());
      }
    };
    Trigger.Evaluator e = Trigger.sequential(errored).newEvaluator();

    List<Evaluation> evs = watch(e, Duration.ofMinutes(2), Duration.ofSeconds(5));

    assertThat(verdicts(evs)).doesNotContain(Verdict.ROLL_BACK);
    assertThat(evs.get(evs.size() - 1).verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(evs.get(evs.size() - 1).evidence()).contains("the sequential test cannot judge", "could not tell (errored)");
  }

  @Test
  void argoRollouts1329_latenciesThatNeverArriveDoNotPassTheLatencyRule() {
    // requests are counted but no latency is recorded (the histogram stays empty): nothing to judge
    ScriptedSignal requests = ScriptedSignal.requests("checkout requests");
    Trigger.Evaluator e = Trigger.latency(new Signal() {
      @Override public String name() { return "checkout latency"; }
      @Override public Duration sampleInterval() { return Duration.ofSeconds(1); }
      @Override public Observations observe(Instant now) {
        Observations o = requests.observe(now);
        return Observations.counts(name(), now, o.total(), o.failures(), o.detail());
      }
    }).percentile(0.99).above(Duration.ofMillis(500)).over(Duration.ofMinutes(1)).minSamples(20).newEvaluator();

    List<Evaluation> evs = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      requests.add(100, 0);
      clock.advance(Duration.ofSeconds(10));
      evs.add(e.evaluate(clock.instant()));
    }

    assertThat(verdicts(evs)).doesNotContain(Verdict.ROLL_BACK);
    assertThat(evs.get(evs.size() - 1).verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(evs.get(evs.size() - 1).evidence()).contains("only 0 latency samples");
  }

  @Test
  void argoRollouts1905_aServiceWithNoTrafficAtAllIsNeitherRolledBackNorDeclaredGood() {
    // a rollback happened on a service that had no traffic at all
    RequestRecorder requests = RequestRecorder.create("checkout requests");
    try (RollbackEngine engine = RollbackEngine.builder().withClock(clock).build();
         Guard g = Guard.builder(RollbackPlan.builder("checkout-2.4.0").step(Step.of("undo", ctx -> { })).build(),
             Deployment.of("checkout", "2.4.0")).withEngine(engine)
             .trigger(Trigger.errorRatio(requests).above(0.05).over(Duration.ofMinutes(1)).minSamples(50))
             .trigger(Trigger.sequential(requests))
             .withBakeTime(Duration.ofMinutes(10)).build()) {
      g.arm();
      for (int i = 0; i < 4 * 300 && g.state() == GuardState.ARMED; i++) clock.advance(Duration.ofMillis(250));

      assertThat(g.state()).isEqualTo(GuardState.NEEDS_HUMAN);
      assertThat(g.run()).as("no rollback on no data").isEmpty();
      assertThat(g.status().detail()).contains("no data to judge for");

      clock.advance(Duration.ofMinutes(10));
      assertThat(g.state()).as("the bake time ends with a question, not BAKED").isEqualTo(GuardState.NEEDS_HUMAN);
      assertThat(g.status().detail()).contains("bake time over with inconclusive triggers");
      assertThat(g.run()).isEmpty();
    }
  }

  @Test
  void dataThatComesBackEndsTheQuestion() {
    ScriptedSignal requests = ScriptedSignal.requests("checkout requests");
    Trigger.Evaluator e = Trigger.errorRatio(requests).above(0.05).over(Duration.ofMinutes(1)).minSamples(20).newEvaluator();

    assertThat(verdicts(watch(e, Duration.ofMinutes(2), Duration.ofSeconds(10)))).endsWith(Verdict.ASK_HUMAN);
    for (int i = 0; i < 12; i++) {
      requests.add(10, 0);
      clock.advance(Duration.ofSeconds(10));
    }

    assertThat(e.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
  }
}
