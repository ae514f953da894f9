package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.engine.ManualClock;
import java.time.Duration;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;

/** Properties of the canary-versus-baseline sequential test that hold for every traffic split and tuning. */
class CanarySequentialProperties {

  @Property(tries = 200)
  void aCanaryFailingExactlyAsOftenAsItsBaselineInEveryIntervalNeverRollsBack(@ForAll @IntRange(min = 1, max = 50) int canaryShare,
      @ForAll @IntRange(min = 1, max = 20) int errorsPerHundred, @ForAll @DoubleRange(min = 1.1, max = 20) double ratio,
      @ForAll @IntRange(min = 1, max = 9) int alphaExponent, @ForAll @IntRange(min = 1, max = 300) int intervals) {
    ManualClock clock = ManualClock.create();
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.Evaluator t = Trigger.canarySequential(baseline, canary).detectingRatio(ratio).falseAlarmProbability(Math.pow(10, -alphaExponent)).newEvaluator();
    t.evaluate(clock.instant());
    for (int i = 0; i < intervals; i++) {
      // per interval: canaryShare % of 100 × 100 requests on the canary, the rest on the baseline, equal error rates
      long nc = canaryShare * 100L;
      long nb = (100 - canaryShare) * 100L;
      canary.add(nc - nc * errorsPerHundred / 100, nc * errorsPerHundred / 100);
      baseline.add(nb - nb * errorsPerHundred / 100, nb * errorsPerHundred / 100);
      clock.advance(Duration.ofMillis(250));
      Evaluation e = t.evaluate(clock.instant());
      assertThat(e.verdict()).as(e.evidence()).isEqualTo(Verdict.HOLD);
      assertThat(Double.parseDouble(e.facts().get("logLikelihoodRatio"))).isLessThanOrEqualTo(0.0);
    }
  }

  @Property(tries = 200)
  void aCanaryFailingEveryRequestBesideAHealthyBaselineFiresWithinItsWorstCaseCount(
      @ForAll @IntRange(min = 1, max = 50) int canaryPercent, @ForAll @DoubleRange(min = 1.1, max = 20) double ratio,
      @ForAll @IntRange(min = 1, max = 9) int alphaExponent) {
    ManualClock clock = ManualClock.create();
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.CanarySequential rule = Trigger.canarySequential(baseline, canary).detectingRatio(ratio).falseAlarmProbability(Math.pow(10, -alphaExponent));
    long bound = rule.worstCaseDetection().dividedBy(canary.sampleInterval());
    Trigger.Evaluator t = rule.newEvaluator();
    t.evaluate(clock.instant());
    long canaryErrors = 0;
    while (canaryErrors <= bound) {
      // each canary error comes with (100 − p)/p healthy baseline requests: the canary is p% of the traffic
      canary.add(0, canaryPercent);
      baseline.add(100 - canaryPercent, 0);
      canaryErrors += canaryPercent;
      clock.advance(Duration.ofMillis(10));
      if (t.evaluate(clock.instant()).verdict() == Verdict.ROLL_BACK) break;
    }
    assertThat(canaryErrors).as("canary errors before ROLL_BACK (bound %d)", bound).isLessThan(bound + canaryPercent);
  }
}
