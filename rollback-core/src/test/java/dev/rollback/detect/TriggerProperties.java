package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.engine.ManualClock;
import dev.rollback.internal.detect.TimedCheck;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Each rule fires on a stream of failures within its documented worst-case bound (plus one
 * evaluation tick), and the bound is tight: some phase of the failure needs nearly all of it.
 * Compositions never fire when none of their members would.
 */
class TriggerProperties {
  private static final Duration TICK = Duration.ofMillis(100);

  /** Runs an evaluator of {@code trigger} on virtual time: healthy until {@code failAt}, then failing; returns the detection time. */
  private static Duration detection(ManualClock clock, Trigger trigger, Instant failAt, Runnable perTick, Duration limit) {
    Trigger.Evaluator evaluator = trigger.newEvaluator();
    Instant giveUp = failAt.plus(limit);
    while (clock.instant().isBefore(giveUp)) {
      perTick.run();
      Evaluation e = evaluator.evaluate(clock.instant());
      if (e.verdict() == Verdict.ROLL_BACK) {
        assertThat(clock.instant()).as("fired before the failure: " + e.evidence()).isAfterOrEqualTo(failAt);
        return Duration.between(failAt, clock.instant());
      }
      clock.advance(TICK);
    }
    throw new AssertionError("did not fire within " + limit + " of the failure");
  }

  /**
   * A scripted check that answers at once and says so ({@link TimedCheck} with no timeout), so the
   * polled signal calls it on the evaluating thread: a check without a timeout of its own would run on
   * a thread of its own with a real-time deadline of one poll interval (100 ms here), and on a
   * loaded machine answer UNKNOWN — these properties are about virtual time only.
   */
  private abstract static class PromptCheck implements HealthCheck, TimedCheck {
    @Override public Duration timeout() { return Duration.ZERO; }
  }

  private static HealthCheck prompt(String name, java.util.function.Supplier<HealthStatus> status) {
    return new PromptCheck() {
      @Override public String name() { return name; }
      @Override public Health check() {
        HealthStatus now = status.get();
        return Health.of(name, now, Duration.ZERO, now.name());
      }
    };
  }

  /** A health check that is DOWN from {@code failAt} on, UP (or randomly flaky but never 3 DOWN in a row) before. */
  private static HealthCheck failingFrom(ManualClock clock, Instant failAt, long seed) {
    Random rnd = new Random(seed);
    return new PromptCheck() {
      int downInARow;
      @Override public String name() { return "scripted"; }
      @Override public Health check() {
        boolean down = !clock.instant().isBefore(failAt) || (downInARow < 1 && rnd.nextInt(5) == 0);
        downInARow = down ? downInARow + 1 : 0;
        return Health.of("scripted", down ? HealthStatus.DOWN : HealthStatus.UP, Duration.ZERO, down ? "down" : "up");
      }
    };
  }

  @Property(tries = 60)
  void consecutiveFailuresFireWithinNPollIntervals(@ForAll @IntRange(min = 2, max = 5) int n,
      @ForAll @IntRange(min = 1, max = 30) int intervalTicks, @ForAll @LongRange(min = 0, max = 10_000) long failAfterMillis,
      @ForAll long seed) {
    ManualClock clock = ManualClock.create();
    Instant failAt = clock.instant().plusMillis(failAfterMillis - failAfterMillis % TICK.toMillis());
    Signal s = Signals.poll(failingFrom(clock, failAt, seed), TICK.multipliedBy(intervalTicks));
    Trigger t = Trigger.consecutiveFailures(s, n);
    Duration d = detection(clock, t, failAt, () -> { }, t.worstCaseDetection().multipliedBy(3));
    assertThat(d).isLessThanOrEqualTo(t.worstCaseDetection());
    // at most one flaky DOWN precedes the failure, so at least n - 1 further polls are needed
    assertThat(d).isGreaterThanOrEqualTo(t.worstCaseDetection().minus(s.sampleInterval().multipliedBy(2)).minus(TICK));
  }

  @Property(tries = 60)
  void nOfMFiresWithinNPollIntervals(@ForAll @IntRange(min = 1, max = 4) int n, @ForAll @IntRange(min = 0, max = 4) int extra,
      @ForAll @IntRange(min = 1, max = 20) int intervalTicks, @ForAll @LongRange(min = 0, max = 10_000) long failAfterMillis,
      @ForAll long seed) {
    ManualClock clock = ManualClock.create();
    Instant failAt = clock.instant().plusMillis(failAfterMillis - failAfterMillis % TICK.toMillis());
    Signal s = Signals.poll(prompt("scripted", () -> clock.instant().isBefore(failAt) ? HealthStatus.UP : HealthStatus.DOWN),
        TICK.multipliedBy(intervalTicks));
    Trigger t = Trigger.nOfM(s, n + (n == 1 ? 1 : 0), n + (n == 1 ? 1 : 0) + extra);
    Duration d = detection(clock, t, failAt, () -> { }, t.worstCaseDetection().multipliedBy(3));
    assertThat(d).isLessThanOrEqualTo(t.worstCaseDetection());
  }

  @Property(tries = 40)
  void errorRatioFiresWithinItsWindowPlusResolution(@ForAll @IntRange(min = 1, max = 60) int windowSeconds,
      @ForAll @IntRange(min = 1, max = 50) int requestsPerTick, @ForAll @IntRange(min = 1, max = 30) int thresholdPercent,
      @ForAll @IntRange(min = 0, max = 20) int backgroundPercent, @ForAll @LongRange(min = 0, max = 60_000) long failAfterMillis,
      @ForAll long seed) {
    ManualClock clock = ManualClock.create();
    Instant failAt = clock.instant().plusMillis(failAfterMillis - failAfterMillis % TICK.toMillis());
    ScriptedSignal s = new ScriptedSignal("requests", TICK);
    Duration window = Duration.ofSeconds(windowSeconds);
    int minSamples = Math.max(1, requestsPerTick * (int) (window.toMillis() / TICK.toMillis()) / 4);
    Trigger t = Trigger.errorRatio(s).above(thresholdPercent / 100.0).over(window).minSamples(minSamples);
    int background = requestsPerTick * Math.min(backgroundPercent, thresholdPercent - 1) / 100;
    Runnable traffic = () -> {
      boolean failing = !clock.instant().isBefore(failAt);
      int bad = failing ? requestsPerTick : background;
      s.add(requestsPerTick - bad, bad);
    };
    Duration d = detection(clock, t, failAt, traffic, t.worstCaseDetection().multipliedBy(3));
    assertThat(d).isLessThanOrEqualTo(t.worstCaseDetection().plus(TICK));
  }

  @Property(tries = 40)
  void latencyPercentileFiresWithinItsWindowPlusResolution(@ForAll @IntRange(min = 1, max = 60) int windowSeconds,
      @ForAll @IntRange(min = 1, max = 20) int requestsPerTick, @ForAll @LongRange(min = 0, max = 60_000) long failAfterMillis) {
    ManualClock clock = ManualClock.create();
    Instant failAt = clock.instant().plusMillis(failAfterMillis - failAfterMillis % TICK.toMillis());
    ScriptedSignal s = new ScriptedSignal("requests", TICK);
    Trigger t = Trigger.latency(s).percentile(0.99).above(Duration.ofMillis(500)).over(Duration.ofSeconds(windowSeconds)).minSamples(1);
    Runnable traffic = () -> s.add(requestsPerTick, 0,
        clock.instant().isBefore(failAt) ? Duration.ofMillis(20) : Duration.ofSeconds(3));
    Duration d = detection(clock, t, failAt, traffic, t.worstCaseDetection().multipliedBy(3));
    assertThat(d).isLessThanOrEqualTo(t.worstCaseDetection().plus(TICK));
  }

  @Property(tries = 40)
  void sequentialTestFiresWithinItsFailureCountAtTheMinimumRate(@ForAll @IntRange(min = 1, max = 20) int ticksPerRequest,
      @ForAll @LongRange(min = 0, max = 60_000) long failAfterMillis, @ForAll long seed) {
    ManualClock clock = ManualClock.create();
    Instant failAt = clock.instant().plusMillis(failAfterMillis - failAfterMillis % TICK.toMillis());
    double perSecond = 1000.0 / (TICK.toMillis() * ticksPerRequest);
    RequestRecorder r = RequestRecorder.create("requests", perSecond);
    Trigger t = Trigger.sequential(r);
    Random rnd = new Random(seed);
    long[] tick = {0};
    long[] healthyRequests = {0};
    List<Long> backgroundFailures = new ArrayList<>(); // by request number before the failure
    Runnable traffic = () -> {
      if (tick[0]++ % ticksPerRequest != 0) return;
      if (!clock.instant().isBefore(failAt)) {
        r.failure(1_000_000);
        return;
      }
      healthyRequests[0]++;
      if (rnd.nextInt(100) == 0) {
        backgroundFailures.add(healthyRequests[0]);
        r.failure(1_000_000);
      } else {
        r.success(1_000_000);
      }
    };
    Duration d = detection(clock, t, failAt, traffic, t.worstCaseDetection().multipliedBy(3));
    assertThat(d).isLessThanOrEqualTo(t.worstCaseDetection().plus(TICK));
    // A background failure shortly before the failure is evidence too: each adds one failure's worth
    // (ln(p1/p0)) and 200 successes wear off more than the threshold, so the rule may fire up to one
    // request earlier per background failure among the last 200 healthy requests, and no earlier.
    long head = backgroundFailures.stream().filter(n -> n > healthyRequests[0] - 200).count();
    assertThat(d).isGreaterThanOrEqualTo(t.worstCaseDetection().minus(r.sampleInterval().multipliedBy(2 + head)));
  }

  @Property(tries = 20)
  void burnRateFiresWithinItsFormulaAtAConstantRate(@ForAll @IntRange(min = 2, max = 30) int longMinutes,
      @ForAll @IntRange(min = 1, max = 30) int factorTenths) {
    ManualClock clock = ManualClock.create();
    Duration tick = Duration.ofSeconds(1);
    ScriptedSignal s = new ScriptedSignal("requests", tick);
    double factor = 1 + factorTenths;
    Trigger t = Trigger.burnRate(s, 0.99).window(Duration.ofMinutes(longMinutes), Duration.ofMinutes(1), factor).minSamples(1);
    Trigger.Evaluator evaluator = t.newEvaluator();
    for (int i = 0; i < longMinutes * 60 + 60; i++) {
      s.add(10, 0);
      assertThat(evaluator.evaluate(clock.instant()).verdict()).isEqualTo(Verdict.HOLD);
      clock.advance(tick);
    }
    Instant failAt = clock.instant();
    Duration d = null;
    for (int i = 0; i < longMinutes * 60 * 2 && d == null; i++) {
      s.add(0, 10);
      if (evaluator.evaluate(clock.instant()).verdict() == Verdict.ROLL_BACK) d = Duration.between(failAt, clock.instant());
      clock.advance(tick);
    }
    assertThat(d).isNotNull();
    assertThat(d).isLessThanOrEqualTo(t.worstCaseDetection().plus(tick));
  }

  /** A trigger whose evaluators each answer a scripted sequence of verdicts from its start. */
  private record ScriptedTrigger(String name, List<Verdict> script) implements Trigger {
    @Override public Duration worstCaseDetection() { return Duration.ofSeconds(script.size()); }

    @Override
    public Evaluator newEvaluator() {
      return new Evaluator() {
        private int i;

        @Override public Trigger trigger() { return ScriptedTrigger.this; }

        @Override
        public Evaluation evaluate(Instant now) {
          Verdict v = script.get(Math.min(i++, script.size() - 1));
          return new Evaluation(name, v, now, "scripted", java.util.Map.of());
        }
      };
    }
  }

  @Provide
  Arbitrary<List<List<Verdict>>> scripts() {
    Arbitrary<List<Verdict>> one = Arbitraries.of(Verdict.class).list().ofSize(20);
    return one.list().ofMinSize(1).ofMaxSize(4);
  }

  @Property(tries = 300)
  void aCompositionNeverFiresWhenNoneOfItsMembersWould(@ForAll("scripts") List<List<Verdict>> scripts, @ForAll boolean all) {
    List<Trigger> members = new ArrayList<>();
    for (int k = 0; k < scripts.size(); k++) members.add(new ScriptedTrigger("member-" + k, scripts.get(k)));
    Trigger[] inside = members.toArray(Trigger[]::new);
    Trigger composite = all ? Trigger.allOf("all", inside) : Trigger.anyOf("any", inside);
    // the same member descriptions, evaluated on their own next to the composite's evaluators of them
    Trigger.Evaluator compositeEvaluator = composite.newEvaluator();
    List<Trigger.Evaluator> alone = members.stream().map(Trigger::newEvaluator).toList();
    Instant now = Instant.EPOCH;
    for (int step = 0; step < 20; step++) {
      Verdict c = compositeEvaluator.evaluate(now).verdict();
      List<Verdict> single = new ArrayList<>();
      for (Trigger.Evaluator t : alone) single.add(t.evaluate(now).verdict());
      if (c == Verdict.ROLL_BACK) assertThat(single).as("step " + step).contains(Verdict.ROLL_BACK);
      if (all && c == Verdict.ROLL_BACK) assertThat(single).as("step " + step).containsOnly(Verdict.ROLL_BACK);
    }
    Duration wc = composite.worstCaseDetection();
    if (all) assertThat(wc).isEqualTo(members.stream().map(Trigger::worstCaseDetection).max(Duration::compareTo).orElseThrow());
    else assertThat(wc).isEqualTo(members.stream().map(Trigger::worstCaseDetection).min(Duration::compareTo).orElseThrow());
  }
}
