package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.engine.ManualClock;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CanarySequentialTest {
  private final ManualClock clock = ManualClock.create();

  /**
   * Serves {@code canaryRequests} canary requests (10% of the traffic) with seeded errors at the
   * given rates, evaluating after every 50 requests; returns the canary requests served when the
   * rule fired, or -1.
   */
  private long run(Trigger trigger, long seed, double baselineRate, double canaryRate, long canaryRequests) {
    ScriptedSignal baseline = (ScriptedSignal) baselineOf(trigger);
    ScriptedSignal canary = (ScriptedSignal) canaryOf(trigger);
    Trigger.Evaluator t = trigger.newEvaluator();
    t.evaluate(clock.instant());
    Random rnd = new Random(seed);
    long served = 0;
    for (long i = 1; served < canaryRequests; i++) {
      if (rnd.nextInt(10) == 0) {
        served++;
        boolean bad = rnd.nextDouble() < canaryRate;
        canary.add(bad ? 0 : 1, bad ? 1 : 0);
      } else {
        boolean bad = rnd.nextDouble() < baselineRate;
        baseline.add(bad ? 0 : 1, bad ? 1 : 0);
      }
      if (i % 50 == 0) {
        clock.advance(Duration.ofMillis(100));
        if (t.evaluate(clock.instant()).verdict() == Verdict.ROLL_BACK) return served;
      }
    }
    return -1;
  }

  private static Signal baselineOf(Trigger t) {
    return t.signals().get(0);
  }

  private static Signal canaryOf(Trigger t) {
    return t.signals().get(1);
  }

  private static Trigger.CanarySequential fresh() {
    return Trigger.canarySequential(ScriptedSignal.requests("baseline"), ScriptedSignal.requests("canary"));
  }

  @Test
  void confirmsADoublingOfTheErrorRateFromOnePercentToTwoInEverySeededRun() {
    for (long seed = 1; seed <= 20; seed++) {
      long firedAfter = run(fresh(), seed, 0.01, 0.02, 30_000);
      assertThat(firedAfter).as("seed %d: canary requests before ROLL_BACK", seed).isBetween(1L, 30_000L);
    }
  }

  @Test
  void holdsOnACanaryAsGoodAsItsBaselineInEverySeededRun() {
    for (long seed = 1; seed <= 20; seed++) {
      assertThat(run(fresh(), seed, 0.01, 0.01, 10_000)).as("seed %d fired on an A/A run", seed).isEqualTo(-1L);
    }
  }

  @Test
  void holdsWhenOnlyTheBaselineGetsWorse() {
    assertThat(run(fresh(), 3, 0.05, 0.01, 10_000)).isEqualTo(-1L);
  }

  @Test
  void itsEvaluationCarriesTheObservedRatesTheLikelihoodRatioTheThresholdAndTheRequestsSeen() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.Evaluator t = Trigger.canarySequential(baseline, canary).newEvaluator();
    t.evaluate(clock.instant());
    baseline.add(990, 10);
    canary.add(95, 5);
    clock.advance(Duration.ofSeconds(1));
    Evaluation e = t.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.HOLD);
    assertThat(e.facts()).containsEntry("canaryRequests", "100").containsEntry("baselineRequests", "1000")
        .containsEntry("canaryErrors", "5").containsEntry("baselineErrors", "10")
        .containsEntry("canaryErrorRate", "0.050000").containsEntry("baselineErrorRate", "0.010000")
        .containsEntry("threshold", "6.908").containsKey("logLikelihoodRatio");
    // π = 100/1100, θ = 2π/(2π + 1 − π); 5 canary and 10 baseline errors
    double pi = 100 / 1100.0;
    double theta = 2 * pi / (2 * pi + 1 - pi);
    double llr = 5 * Math.log(theta / pi) + 10 * Math.log((1 - theta) / (1 - pi));
    assertThat(Double.parseDouble(e.facts().get("logLikelihoodRatio"))).isCloseTo(llr, org.assertj.core.data.Offset.offset(0.001));
    assertThat(e.evidence()).contains("canary 5 errors in 100 requests").contains("threshold 6.908");
  }

  @Test
  void rollsBackACanaryThatFailsEverythingWithinItsWorstCaseCount() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.CanarySequential rule = Trigger.canarySequential(baseline, canary);
    Trigger.Evaluator t = rule.newEvaluator();
    t.evaluate(clock.instant());
    int errors = 0;
    Evaluation e;
    do {
      baseline.add(1, 0);
      canary.add(0, 1);
      errors++;
      clock.advance(Duration.ofMillis(10));
      e = t.evaluate(clock.instant());
    } while (e.verdict() != Verdict.ROLL_BACK && errors < 100);
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(errors).isEqualTo(25); // ⌈ln 1000 / ln(4/3)⌉
    assertThat(rule.worstCaseDetection()).isEqualTo(Duration.ofSeconds(25));
    assertThat(rule.detectionFormula()).contains("= 25 failed canary requests");
    assertThat(e.evidence()).contains("fails more often than the baseline");
  }

  @Test
  void asksAHumanAtTheDeadlineWhenTheCanaryServedNothing() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    Trigger.Evaluator t = Trigger.canarySequential(baseline, ScriptedSignal.requests("canary")).newEvaluator();
    t.evaluate(clock.instant());
    baseline.add(500, 5);
    clock.advance(Duration.ofMinutes(5));
    Evaluation e = t.evaluateAtDeadline(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("the canary served no requests");
  }

  @Test
  void refusesBadTuningNamingTheValue() {
    assertThatThrownBy(() -> fresh().detectingRatio(1.0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("above 1: 1.0");
    assertThatThrownBy(() -> fresh().falseAlarmProbability(0)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("(0, 1): 0.0");
    ScriptedSignal same = ScriptedSignal.requests("checkout");
    assertThatThrownBy(() -> Trigger.canarySequential(same, same)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two different signals");
  }
}
