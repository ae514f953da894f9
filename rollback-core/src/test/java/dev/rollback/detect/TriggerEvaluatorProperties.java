package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.statistics.Statistics;

/**
 * Two evaluators of one trigger are independent, for every stateful rule: an evaluator says the
 * same, word for word, whether or not another evaluator of the same trigger is evaluated between
 * its evaluations (on traffic the other saw and it did not, at the deadline or not), and an
 * evaluator created later says what a lone evaluator created at that moment says.
 */
class TriggerEvaluatorProperties {
  private static final Duration TICK = Duration.ofMillis(500);
  private static final int STEPS = 40;

  /** The stateful rules, each over a canary signal (and a baseline for the judge). */
  enum Rule {
    CONSECUTIVE_FAILURES, N_OF_M, ERROR_RATIO, LATENCY, BURN_RATE, SEQUENTIAL, PROGRESS_DEADLINE, JUDGE, CANARY_SEQUENTIAL,
    SUSTAINED, ANY_OF, ALL_OF;

    Trigger on(ScriptedSignal canary, ScriptedSignal baseline) {
      return switch (this) {
        case CONSECUTIVE_FAILURES -> Trigger.consecutiveFailures(canary, 4);
        case N_OF_M -> Trigger.nOfM(canary, 6, 10);
        case ERROR_RATIO -> Trigger.errorRatio(canary).above(0.3).over(Duration.ofSeconds(6)).minSamples(20);
        case LATENCY -> Trigger.latency(canary).percentile(0.9).above(Duration.ofMillis(500)).over(Duration.ofSeconds(6)).minSamples(20);
        case BURN_RATE -> Trigger.burnRate(canary, 0.95).window(Duration.ofSeconds(10), Duration.ofSeconds(3), 4).minSamples(10);
        case SEQUENTIAL -> Trigger.sequential(canary).baseline(0.1).detecting(0.5).falseAlarmOnceIn(1e4);
        case PROGRESS_DEADLINE -> Trigger.progressDeadline(canary, Duration.ofSeconds(5));
        case JUDGE -> Trigger.judge(baseline, canary).onErrors(0.05).over(Duration.ofSeconds(6)).minSamples(20);
        case CANARY_SEQUENTIAL -> Trigger.canarySequential(baseline, canary).falseAlarmProbability(0.1);
        case SUSTAINED -> Trigger.sustained(Trigger.consecutiveFailures(canary, 2), Duration.ofSeconds(2));
        case ANY_OF -> Trigger.anyOf("any", Trigger.consecutiveFailures(canary, 5),
            Trigger.errorRatio(canary).above(0.4).over(Duration.ofSeconds(4)).minSamples(10));
        case ALL_OF -> Trigger.allOf("all", Trigger.nOfM(canary, 3, 6), Trigger.sequential(canary).baseline(0.1).detecting(0.5));
      };
    }
  }

  /**
   * One tick: traffic the other evaluator may see, the other's evaluation (or not, or at the
   * deadline), more traffic, then this evaluator's evaluation.
   */
  record Step(int good1, int bad1, boolean slow1, int good2, int bad2, boolean slow2, int other) {}

  @Provide
  Arbitrary<List<Step>> scripts() {
    Arbitrary<Integer> good = Arbitraries.integers().between(0, 12);
    Arbitrary<Integer> bad = Arbitraries.integers().between(0, 8);
    Arbitrary<Boolean> slow = Arbitraries.integers().between(0, 3).map(i -> i == 0);
    Arbitrary<Integer> other = Arbitraries.integers().between(0, 3); // 0 skips, 1..2 evaluates, 3 at the deadline
    Arbitrary<List<Step>> steps = Combinators.combine(good, bad, slow, good, bad, slow, other).as(Step::new).list().ofSize(STEPS);
    // an outage (no successful request) somewhere, often from the start, so that the progress deadline fires too
    Arbitrary<Integer> outageFrom = Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(0)),
        Tuple.of(2, Arbitraries.integers().between(0, STEPS - 1)));
    Arbitrary<Integer> outageSteps = Arbitraries.integers().between(0, STEPS / 2);
    return Combinators.combine(steps, outageFrom, outageSteps).as((list, from, n) -> {
      List<Step> out = new ArrayList<>(list);
      for (int i = from; i < Math.min(STEPS, from + n); i++) {
        Step x = out.get(i);
        out.set(i, new Step(0, x.bad1(), x.slow1(), 0, x.bad2(), x.slow2(), x.other()));
      }
      return out;
    });
  }

  /** What {@code mine} (from the start) and {@code other} (from {@code otherFrom}) said, with either left out. */
  private record Said(List<String> mine, List<String> other) {}

  private static Said replay(Rule rule, List<Step> script, boolean withMine, int otherFrom) {
    ScriptedSignal canary = new ScriptedSignal("canary", TICK);
    ScriptedSignal baseline = new ScriptedSignal("baseline", TICK);
    Trigger trigger = rule.on(canary, baseline);
    Trigger.Evaluator mine = withMine ? trigger.newEvaluator() : null;
    Trigger.Evaluator other = null;
    List<String> mineSaid = new ArrayList<>();
    List<String> otherSaid = new ArrayList<>();
    Instant now = Instant.parse("2026-01-01T00:00:00Z");
    for (int i = 0; i < script.size(); i++) {
      Step s = script.get(i);
      now = now.plus(TICK);
      if (i == otherFrom) other = trigger.newEvaluator();
      traffic(canary, baseline, s.good1(), s.bad1(), s.slow1());
      if (other != null && s.other() > 0) {
        otherSaid.add(i + ": " + describe(s.other() == 3 ? other.evaluateAtDeadline(now) : other.evaluate(now)));
      }
      traffic(canary, baseline, s.good2(), s.bad2(), s.slow2());
      if (mine != null) mineSaid.add(i + ": " + describe(mine.evaluate(now)));
    }
    return new Said(mineSaid, otherSaid);
  }

  private static void traffic(ScriptedSignal canary, ScriptedSignal baseline, int good, int bad, boolean slow) {
    canary.add(good, bad, slow ? Duration.ofSeconds(2) : Duration.ofMillis(20));
    baseline.add(good + bad, 0, Duration.ofMillis(20));
  }

  private static String describe(Evaluation e) {
    return e.verdict() + " " + e.evidence() + " " + e.facts();
  }

  @Property(tries = 300)
  void anEvaluatorIsUndisturbedByAnotherEvaluatorOfItsTrigger(@ForAll Rule rule, @ForAll("scripts") List<Step> script,
      @ForAll @IntRange(min = 0, max = STEPS - 1) int otherFrom) {
    Said alone = replay(rule, script, true, -1);
    Said together = replay(rule, script, true, otherFrom);
    Said otherAlone = replay(rule, script, false, otherFrom);

    assertThat(together.mine()).as("the first evaluator, with another evaluated from step " + otherFrom)
        .containsExactlyElementsOf(alone.mine());
    assertThat(together.other()).as("the evaluator created at step " + otherFrom + ", next to one created before it")
        .containsExactlyElementsOf(otherAlone.other());

    // the random traffic makes every rule fire in some tries, so rulings are compared, not only HOLDs
    boolean fired = alone.mine().stream().anyMatch(s -> s.contains(": ROLL_BACK "));
    Statistics.label("fired").collect(rule, fired);
    Statistics.label("fired").coverage(c -> {
      for (Rule r : Rule.values()) c.check(r, true).count(n -> n > 0);
    });
  }

  @Property
  void everyRuleFiresOnFailingTrafficForEachEvaluator(@ForAll Rule rule) {
    // so that the property above compares rulings, not only HOLDs
    Said said = replay(rule, java.util.Collections.nCopies(STEPS, new Step(0, 8, true, 0, 8, true, 1)), true, STEPS / 2);
    assertThat(said.mine()).as(rule + ", evaluated from the start").anyMatch(s -> s.contains(": ROLL_BACK "));
    assertThat(said.other()).as(rule + ", evaluated from step " + STEPS / 2).anyMatch(s -> s.contains(": ROLL_BACK "));
  }
}
