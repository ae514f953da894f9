package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.engine.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TriggerRulesTest {
  private final ManualClock clock = ManualClock.create();

  private Evaluation at(Trigger.Evaluator t, Duration advance) {
    clock.advance(advance);
    return t.evaluate(clock.instant());
  }

  @Test
  void consecutiveFailuresFiresOnTheThirdFailedPollAndNamesTheLastResult() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("checkout health")
        .then(HealthStatus.UP, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN);
    Trigger.Evaluator t = Trigger.consecutiveFailures(Signals.poll(check, Duration.ofSeconds(2)), 3).newEvaluator();
    assertThat(t.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(2)).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).as("no poll before the interval").isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    Evaluation fired = at(t, Duration.ofSeconds(2));
    assertThat(fired.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(fired.evidence()).contains("3 consecutive failures of 'checkout health'").contains("DOWN");
    assertThat(check.calls).isEqualTo(4);
    assertThat(t.trigger().worstCaseDetection()).isEqualTo(Duration.ofSeconds(6));
  }

  @Test
  void anUpPollBreaksTheRunOfFailures() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("h")
        .then(HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.UP, HealthStatus.DOWN, HealthStatus.DOWN);
    Trigger.Evaluator t = Trigger.consecutiveFailures(Signals.poll(check, Duration.ofSeconds(1)), 3).newEvaluator();
    for (int i = 0; i < 5; i++) assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
  }

  @Test
  void unknownPollsAskAHumanInsteadOfRollingBack() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("hanging endpoint");
    check.always(HealthStatus.UNKNOWN);
    Trigger.Evaluator t = Trigger.consecutiveFailures(Signals.poll(check, Duration.ofSeconds(1)), 3).newEvaluator();
    Evaluation e = null;
    for (int i = 0; i < 3; i++) e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("could not tell for 3 observations").contains("no rollback on missing data");
  }

  @Test
  void unknownPollsRollBackOnlyWhenTheUserAskedForIt() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("hanging endpoint");
    check.always(HealthStatus.UNKNOWN);
    Trigger.Evaluator t = Trigger.consecutiveFailures(Signals.pollTreatingUnknownAsDown(check, Duration.ofSeconds(1)), 3)
        .newEvaluator();
    Evaluation e = null;
    for (int i = 0; i < 3; i++) e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("3 consecutive failures").contains("UNKNOWN");
  }

  @Test
  void aCheckThatThrowsIsUnknownNotAFailure() {
    HealthCheck throwing = new HealthCheck() {
      @Override public String name() { return "broken"; }
      @Override public dev.rollback.detect.Health check() { throw new IllegalStateException("boom"); }
    };
    Trigger.Evaluator t = Trigger.consecutiveFailures(Signals.poll(throwing, Duration.ofSeconds(1)), 1).newEvaluator();
    Evaluation e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("boom");
  }

  @Test
  void nOfMFiresWhenEnoughOfTheLastObservationsFailed() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("h")
        .then(HealthStatus.DOWN, HealthStatus.UP, HealthStatus.DOWN, HealthStatus.UP, HealthStatus.DOWN);
    Trigger.Evaluator t = Trigger.nOfM(Signals.poll(check, Duration.ofSeconds(1)), 3, 5).newEvaluator();
    for (int i = 0; i < 4; i++) assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    Evaluation e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("3 of the last 5");
  }

  @Test
  void errorRatioWaitsForTheMinimumSampleCountAndAsksAHumanAtTheDeadline() {
    ScriptedSignal s = ScriptedSignal.requests("checkout requests");
    Trigger.Evaluator t = Trigger.errorRatio(s).above(0.05).over(Duration.ofSeconds(30)).minSamples(50).newEvaluator();
    t.evaluate(clock.instant());
    s.add(10, 10);
    Evaluation e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.HOLD);
    assertThat(e.evidence()).contains("only 20 samples").contains("need 50");
    clock.advance(Duration.ofSeconds(1));
    Evaluation end = t.evaluateAtDeadline(clock.instant());
    assertThat(end.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(end.evidence()).contains("at the deadline");
  }

  @Test
  void errorRatioFiresAboveTheThresholdWithItsEvidence() {
    ScriptedSignal s = ScriptedSignal.requests("checkout requests");
    Trigger.Evaluator t = Trigger.errorRatio(s).above(0.05).over(Duration.ofSeconds(2)).minSamples(50).newEvaluator();
    t.evaluate(clock.instant());
    s.add(97, 3);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    s.add(90, 10);
    Evaluation e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("13 of 200 failed").contains("above 0.05");
    assertThat(e.facts()).containsEntry("failures", "13");
  }

  @Test
  void errorRatioForgetsFailuresThatLeftTheWindow() {
    ScriptedSignal s = ScriptedSignal.requests("r");
    Trigger.Evaluator t = Trigger.errorRatio(s).above(0.05).over(Duration.ofSeconds(10)).minSamples(10).newEvaluator();
    t.evaluate(clock.instant());
    s.add(0, 100);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).as("the window has filled 1 s of 10 s").isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(4)).verdict()).isEqualTo(Verdict.ROLL_BACK);
    for (int i = 0; i < 12; i++) {
      s.add(100, 0);
      at(t, Duration.ofSeconds(1));
    }
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
  }

  @Test
  void errorRatioDoesNotJudgeAWindowThatHasOnlyJustStartedFilling() {
    ScriptedSignal s = ScriptedSignal.requests("r");
    Trigger.Evaluator t = Trigger.errorRatio(s).above(0.05).over(Duration.ofSeconds(30)).minSamples(50).newEvaluator();
    t.evaluate(clock.instant());
    s.add(118, 7);
    Evaluation e = at(t, Duration.ofMillis(250));
    assertThat(e.verdict()).isEqualTo(Verdict.HOLD);
    assertThat(e.evidence()).contains("has filled 250 ms of 30 s");
    for (int i = 0; i < 60; i++) {
      s.add(125, 0);
      at(t, Duration.ofMillis(250));
    }
    s.add(0, 125);
    assertThat(at(t, Duration.ofMillis(250)).verdict()).isEqualTo(Verdict.HOLD);
    s.add(0, 500);
    assertThat(at(t, Duration.ofMillis(250)).verdict()).isEqualTo(Verdict.ROLL_BACK);
  }

  @Test
  void latencyPercentileFiresWhenTheTailIsSlow() {
    ScriptedSignal s = ScriptedSignal.requests("r");
    Trigger.Evaluator t = Trigger.latency(s).percentile(0.99).above(Duration.ofMillis(500)).over(Duration.ofSeconds(60)).minSamples(50)
        .newEvaluator();
    t.evaluate(clock.instant());
    s.add(100, 0, Duration.ofMillis(20));
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    s.add(10, 0, Duration.ofSeconds(2));
    Evaluation e = at(t, Duration.ofSeconds(1));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("p99 latency").contains("above the limit 500 ms");
  }

  @Test
  void burnRateNeedsBothWindowsToBurn() {
    ScriptedSignal s = ScriptedSignal.requests("r");
    Trigger.Evaluator t = Trigger.burnRate(s, 0.999).window(Duration.ofMinutes(60), Duration.ofMinutes(5), 14.4).minSamples(10)
        .newEvaluator();
    t.evaluate(clock.instant());
    for (int i = 0; i < 55; i++) {
      s.add(600, 0);
      assertThat(at(t, Duration.ofMinutes(1)).verdict()).isEqualTo(Verdict.HOLD);
    }
    // all failing now: the 5-minute window burns at once, the hour needs 14.4 × 0.001 × 60 min ≈ 52 s of it
    s.add(0, 300);
    assertThat(at(t, Duration.ofSeconds(30)).verdict()).isEqualTo(Verdict.HOLD);
    s.add(0, 300);
    Evaluation e = at(t, Duration.ofSeconds(30));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("burning the error budget of SLO 0.999");
  }

  @Test
  void burnRateRejectsAFactorThatCanNeverFire() {
    assertThatThrownBy(() -> Trigger.burnRate(ScriptedSignal.requests("r"), 0.9).window(Duration.ofHours(1), Duration.ofMinutes(5), 14.4))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("can never be reached");
  }

  @Test
  void sequentialTestFiresWithinEightFailuresOfASuddenOutage() {
    RequestRecorder r = RequestRecorder.create("checkout");
    Trigger.Evaluator t = Trigger.sequential(r).newEvaluator();
    t.evaluate(clock.instant());
    for (int i = 0; i < 1000; i++) r.success(1_000_000);
    assertThat(at(t, Duration.ofMillis(10)).verdict()).isEqualTo(Verdict.HOLD);
    int failures = 0;
    Evaluation e;
    do {
      r.failure(1_000_000);
      failures++;
      e = at(t, Duration.ofMillis(2));
    } while (e.verdict() == Verdict.HOLD && failures < 100);
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(failures).isEqualTo(8);
    assertThat(e.evidence()).contains("CUSUM").contains("baseline error rate 1%");
    assertThat(t.trigger().worstCaseDetection()).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void sequentialTestHoldsOnTheBackgroundErrorRate() {
    ScriptedSignal s = ScriptedSignal.requests("r");
    Trigger.Evaluator t = Trigger.sequential(s).newEvaluator();
    t.evaluate(clock.instant());
    java.util.Random rnd = new java.util.Random(42);
    int fired = 0;
    for (int i = 0; i < 20_000; i++) {
      int bad = 0;
      for (int k = 0; k < 5; k++) if (rnd.nextDouble() < 0.01) bad++;
      s.add(5 - bad, bad);
      if (at(t, Duration.ofMillis(10)).verdict() != Verdict.HOLD) fired++;
    }
    assertThat(fired).as("evaluations that did not hold over 100000 requests at 1% errors").isZero();
  }

  @Test
  void sequentialTestRejectsADetectedRateBelowTheBaseline() {
    assertThatThrownBy(() -> Trigger.sequential(ScriptedSignal.requests("r")).baseline(0.05).detecting(0.01))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("baseline 0.05");
  }

  @Test
  void progressDeadlineFiresWhenNothingSucceededInTime() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("rollout ready");
    check.always(HealthStatus.DOWN);
    Trigger.Evaluator t = Trigger.progressDeadline(Signals.poll(check, Duration.ofSeconds(10)), Duration.ofMinutes(2))
        .newEvaluator();
    assertThat(t.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(110)).verdict()).isEqualTo(Verdict.HOLD);
    Evaluation e = at(t, Duration.ofSeconds(10));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("made no progress within 2 min");
  }

  @Test
  void progressDeadlineHoldsForeverOnceProgressWasMade() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("rollout ready").then(HealthStatus.DOWN, HealthStatus.UP);
    Trigger.Evaluator t = Trigger.progressDeadline(Signals.poll(check, Duration.ofSeconds(10)), Duration.ofSeconds(30))
        .newEvaluator();
    t.evaluate(clock.instant());
    at(t, Duration.ofSeconds(10));
    check.always(HealthStatus.DOWN);
    assertThat(at(t, Duration.ofMinutes(5)).verdict()).isEqualTo(Verdict.HOLD);
  }

  @Test
  void judgeRollsBackASlowerCanaryAndReportsItsConfidence() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.Evaluator t = Trigger.judge(baseline, canary).over(Duration.ofMinutes(5)).minSamples(50).newEvaluator();
    t.evaluate(clock.instant());
    for (int ms = 10; ms < 30; ms++) {
      baseline.add(5, 0, Duration.ofMillis(ms));
      canary.add(5, 0, Duration.ofMillis(ms * 3));
    }
    Evaluation e = at(t, Duration.ofSeconds(30));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("canary is worse").contains("Mann–Whitney");
    assertThat(Double.parseDouble(e.facts().get("confidence"))).isGreaterThan(0.999);
  }

  @Test
  void judgeHoldsWhenCanaryAndBaselineMatch() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.Evaluator t = Trigger.judge(baseline, canary).newEvaluator();
    t.evaluate(clock.instant());
    for (int ms = 10; ms < 30; ms++) {
      baseline.add(5, 0, Duration.ofMillis(ms));
      canary.add(5, 0, Duration.ofMillis(ms));
    }
    Evaluation e = at(t, Duration.ofSeconds(30));
    assertThat(e.verdict()).isEqualTo(Verdict.HOLD);
    assertThat(e.evidence()).contains("no significant regression");
  }

  @Test
  void judgeOnErrorsComparesErrorRates() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.Evaluator t = Trigger.judge(baseline, canary).onErrors(0.01).newEvaluator();
    t.evaluate(clock.instant());
    baseline.add(990, 10);
    canary.add(900, 100);
    Evaluation e = at(t, Duration.ofSeconds(30));
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("canary error rate 0.1000 vs baseline 0.0100");
  }

  @Test
  void judgeIsInconclusiveAtTheDeadlineWithTooFewSamples() {
    ScriptedSignal baseline = ScriptedSignal.requests("baseline");
    ScriptedSignal canary = ScriptedSignal.requests("canary");
    Trigger.Evaluator t = Trigger.judge(baseline, canary).newEvaluator();
    t.evaluate(clock.instant());
    baseline.add(100, 0);
    canary.add(3, 0);
    clock.advance(Duration.ofMinutes(1));
    Evaluation e = t.evaluateAtDeadline(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("inconclusive").contains("3 canary");
  }

  @Test
  void manualTriggerFiresWithWhoAndWhy() {
    Trigger.Manual m = Trigger.manual("on-call");
    Trigger.Evaluator t = m.newEvaluator();
    assertThat(t.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    m.fire("alice", "checkout is charging twice");
    Evaluation e = t.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).isEqualTo("rollback requested by alice: checkout is charging twice");
  }

  @Test
  void externalAlertFiresOnMatchingLabelsOnly() {
    Alerts alerts = Alerts.create("alertmanager", clock);
    Trigger.Evaluator t = Trigger.externalAlert(alerts, Map.of("service", "checkout")).newEvaluator();
    alerts.fire("HighLatency", Map.of("service", "search"), "search is slow");
    assertThat(t.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    alerts.fire("HighErrorRate", Map.of("service", "checkout"), "5xx above 5%");
    Evaluation e = t.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(e.evidence()).contains("HighErrorRate").contains("5xx above 5%");
    alerts.resolve("HighErrorRate");
    assertThat(t.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
  }

  @Test
  void anyOfFiresWhenOneMemberDoesAndAllOfOnlyWhenAllDo() {
    Trigger.Manual a = Trigger.manual("a");
    Trigger.Manual b = Trigger.manual("b");
    Trigger.Evaluator any = Trigger.anyOf("a or b", a, b).newEvaluator();
    Trigger.Evaluator all = Trigger.allOf("a and b", a, b).newEvaluator();
    a.fire("x", "y");
    assertThat(any.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(all.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    b.fire("x", "y");
    assertThat(all.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.ROLL_BACK);
  }

  @Test
  void sustainedIgnoresABlipAndFiresOnASustainedFailure() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("h")
        .then(HealthStatus.DOWN, HealthStatus.UP, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN);
    Trigger.Evaluator t = Trigger.sustained(Trigger.consecutiveFailures(Signals.poll(check, Duration.ofSeconds(1)), 1), Duration.ofSeconds(2))
        .newEvaluator();
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.HOLD);
    assertThat(at(t, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(t.trigger().worstCaseDetection()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void aRuleWhoseSignalBreaksAsksAHumanInsteadOfThrowing() {
    Signal broken = new Signal() {
      @Override public String name() { return "broken"; }
      @Override public Observations observe(Instant now) { throw new IllegalStateException("metrics backend gone"); }
      @Override public Duration sampleInterval() { return Duration.ofSeconds(1); }
    };
    Evaluation e = Trigger.errorRatio(broken).newEvaluator().evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("metrics backend gone");
  }

  // ------------------------------------------------------------------ one trigger, several evaluators

  @Test
  void twoEvaluatorsOfOneRuleCountTheirOwnRunsOfFailures() {
    ScriptedSignal s = ScriptedSignal.requests("checkout requests");
    Trigger rule = Trigger.consecutiveFailures(s, 3);
    s.add(1, 0);
    Trigger.Evaluator early = rule.newEvaluator();
    early.evaluate(clock.instant());
    s.add(0, 2);
    assertThat(at(early, Duration.ofSeconds(1)).facts()).containsEntry("consecutive", "2");

    Trigger.Evaluator late = rule.newEvaluator();
    assertThat(late.evaluate(clock.instant()).facts()).as("a success since the signal began, no run yet")
        .containsEntry("consecutive", "0");
    s.add(0, 1);
    assertThat(at(early, Duration.ofSeconds(1)).verdict()).isEqualTo(Verdict.ROLL_BACK);
    Evaluation e = late.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.HOLD);
    assertThat(e.facts()).containsEntry("consecutive", "1");
  }

  @Test
  void twoEvaluatorsOnOnePolledSignalSeeEveryPollWhileTheCheckIsPolledOncePerInterval() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("checkout health")
        .then(HealthStatus.UP, HealthStatus.DOWN, HealthStatus.DOWN, HealthStatus.DOWN);
    Signal health = Signals.poll(check, Duration.ofSeconds(2));
    Trigger.Evaluator streak = Trigger.consecutiveFailures(health, 3).newEvaluator();
    Trigger.Evaluator share = Trigger.nOfM(health, 3, 4).newEvaluator();
    Trigger.Evaluator streakAgain = Trigger.consecutiveFailures(health, 3).newEvaluator();
    for (int tick = 0; tick < 12; tick++) { // every 500 ms for 6 s: polls at 0, 2, 4 and 6 s
      assertThat(streak.evaluate(clock.instant()).verdict()).as("at " + tick * 500 + " ms").isEqualTo(Verdict.HOLD);
      assertThat(share.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
      if (tick % 3 == 0) assertThat(streakAgain.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
      clock.advance(Duration.ofMillis(500));
    }
    assertThat(check.calls).as("polls of the check shared by the three evaluators").isEqualTo(3);
    assertThat(streak.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(share.evaluate(clock.instant()).evidence()).contains("3 of the last 4");
    assertThat(streakAgain.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(check.calls).isEqualTo(4);
  }

  @Test
  void aManualFireReachesEveryEvaluatorCreatedBeforeOrAfterItAndEvaluatingDoesNotUseItUp() {
    Trigger.Manual m = Trigger.manual("on-call");
    Trigger.Evaluator before = m.newEvaluator();
    assertThat(before.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
    m.fire("alice", "checkout is charging twice");
    m.fire("bob", "me too");
    Trigger.Evaluator after = m.newEvaluator();
    for (int i = 0; i < 2; i++) {
      for (Trigger.Evaluator t : java.util.List.of(before, after)) {
        Evaluation e = t.evaluate(clock.instant());
        assertThat(e.verdict()).isEqualTo(Verdict.ROLL_BACK);
        assertThat(e.evidence()).isEqualTo("rollback requested by alice: checkout is charging twice");
      }
    }
  }

  @Test
  void progressDeadlineRunsFromEachEvaluatorsFirstEvaluation() {
    ScriptedSignal.ScriptedCheck check = new ScriptedSignal.ScriptedCheck("rollout ready");
    check.always(HealthStatus.DOWN);
    Trigger rule = Trigger.progressDeadline(Signals.poll(check, Duration.ofSeconds(10)), Duration.ofMinutes(2));
    Trigger.Evaluator first = rule.newEvaluator();
    first.evaluate(clock.instant());
    clock.advance(Duration.ofMinutes(1));
    Trigger.Evaluator second = rule.newEvaluator();
    second.evaluate(clock.instant());
    assertThat(at(first, Duration.ofMinutes(1)).verdict()).isEqualTo(Verdict.ROLL_BACK);
    assertThat(second.evaluate(clock.instant()).verdict()).as("one minute into its own deadline").isEqualTo(Verdict.HOLD);
    assertThat(at(second, Duration.ofMinutes(1)).verdict()).isEqualTo(Verdict.ROLL_BACK);
  }

  @Test
  void aSustainedRuleKeepsEachEvaluatorsHoldTimerApart() {
    Trigger.Manual m = Trigger.manual("on-call");
    Trigger rule = Trigger.sustained(m, Duration.ofSeconds(10));
    Trigger.Evaluator early = rule.newEvaluator();
    m.fire("alice", "errors");
    early.evaluate(clock.instant());
    clock.advance(Duration.ofSeconds(5));
    Trigger.Evaluator late = rule.newEvaluator();
    late.evaluate(clock.instant());
    assertThat(at(early, Duration.ofSeconds(5)).verdict()).isEqualTo(Verdict.ROLL_BACK);
    Evaluation e = late.evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.HOLD);
    assertThat(e.evidence()).startsWith("firing for 5 s of the required 10 s");
  }

  @Test
  void anApplicationTriggerThatCannotCreateAnEvaluatorAsksAHumanInsideAComposition() {
    Trigger broken = new Trigger() {
      @Override public String name() { return "home-made"; }
      @Override public Duration worstCaseDetection() { return Duration.ZERO; }
      @Override public Evaluator newEvaluator() { throw new IllegalStateException("no connection pool"); }
    };
    Evaluation e = Trigger.anyOf("any", broken, Trigger.manual("on-call")).newEvaluator().evaluate(clock.instant());
    assertThat(e.verdict()).isEqualTo(Verdict.ASK_HUMAN);
    assertThat(e.evidence()).contains("'home-made' could not create its evaluator").contains("no connection pool");
  }
}
