package dev.rollback.detect;

import dev.rollback.Release;
import dev.rollback.guard.Guard;
import dev.rollback.internal.detect.BurnRateRule;
import dev.rollback.internal.detect.CanarySequentialRule;
import dev.rollback.internal.detect.Composition;
import dev.rollback.internal.detect.ConsecutiveFailures;
import dev.rollback.internal.detect.ErrorRatioRule;
import dev.rollback.internal.detect.ExternalAlertRule;
import dev.rollback.internal.detect.JudgeRule;
import dev.rollback.internal.detect.LatencyRule;
import dev.rollback.internal.detect.ManualRule;
import dev.rollback.internal.detect.NOfM;
import dev.rollback.internal.detect.ProgressDeadlineRule;
import dev.rollback.internal.detect.SequentialRule;
import dev.rollback.internal.detect.Sustained;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A rule over signals that decides whether a release is bad: an immutable description, like a
 * Failsafe policy. Whoever watches a release (a {@link Guard} when it is armed, a {@link Release}
 * run when it starts) asks the trigger for a {@link #newEvaluator() fresh evaluator} and evaluates
 * that on the engine's clock; the evaluator returns HOLD, ROLL_BACK or ASK_HUMAN with its
 * evidence, which is journaled.
 *
 * <p>Triggers hold no evaluation state: counts, windows, baselines and hold timers live in the
 * evaluator, so one trigger instance can be given to a release and to a guard (or to two guards)
 * and each sees only its own observations. The signals a trigger reads are shared inputs: each
 * evaluator keeps its own baseline of a signal's cumulative counts. {@link Manual#fire} is such an
 * input too; see there.
 */
public interface Trigger {

  String name();

  /**
   * The longest time from the moment the release turns fully bad until this rule returns
   * ROLL_BACK, by the formula documented on the rule. Plan validation checks the budget with it.
   */
  Duration worstCaseDetection();

  // ------------------------------------------------------------------ detection support

  /** The worst-case formula in words with its values ("3 × sample interval 2 s"), for validation messages. */
  default String detectionFormula() {
    return worstCaseDetection().toString();
  }

  /** The signals this rule reads, so a guard can be woken by them when they see a failure. */
  default List<Signal> signals() {
    return List.of();
  }

  /** A fresh evaluator with its own state; one per run or guard. Triggers themselves hold no evaluation state. */
  Evaluator newEvaluator();

  /**
   * One watcher's evaluation of a {@link Trigger}: holds what this watcher has observed so far
   * (its baselines, windows, counts). Created by {@link Trigger#newEvaluator()}; evaluations of
   * one evaluator are expected in time order. The built-in evaluators are thread-safe.
   */
  interface Evaluator {
    /** The trigger this evaluator evaluates. */
    Trigger trigger();

    /** Must not throw: missing or bad data is HOLD or ASK_HUMAN with the reason. */
    Evaluation evaluate(Instant now);

    /**
     * Evaluates at the end of the observation period (a guard's bake time). A rule that still
     * lacks the data to judge returns ASK_HUMAN here rather than HOLD.
     */
    default Evaluation evaluateAtDeadline(Instant now) {
      return evaluate(now);
    }
  }

  // ------------------------------------------------------------------ rules

  /**
   * ROLL_BACK after {@code n} failed observations of {@code signal} in a row. UNKNOWN observations
   * neither count nor break the run; {@code n} UNKNOWNs in a row return ASK_HUMAN.
   * Worst case: {@code n × signal.sampleInterval()}.
   */
  static Trigger consecutiveFailures(Signal signal, int n) {
    return new ConsecutiveFailures(Objects.requireNonNull(signal, "signal"), n);
  }

  /** ROLL_BACK when {@code n} of the last {@code m} observations failed. Worst case: {@code n × signal.sampleInterval()}. */
  static Trigger nOfM(Signal signal, int n, int m) {
    return new NOfM(Objects.requireNonNull(signal, "signal"), n, m);
  }

  /**
   * ROLL_BACK when the error ratio over a sliding window is above a threshold, given a minimum
   * number of samples in the window (defaults: above 0.05, over 30 s, at least 50 samples).
   * Worst case: {@code window + window/50} (the window's resolution), provided the signal
   * carries at least {@code minSamples} per window.
   */
  static ErrorRatio errorRatio(Signal signal) {
    return ErrorRatioRule.of(Objects.requireNonNull(signal, "signal"));
  }

  /**
   * ROLL_BACK when a latency percentile over a sliding window is above a limit (defaults: p99
   * above 1 s over 60 s, at least 50 samples). Worst case: {@code window + window/50}.
   */
  static LatencyPercentile latency(Signal signal) {
    return LatencyRule.of(Objects.requireNonNull(signal, "signal"));
  }

  /**
   * Multi-window burn rate (Google SRE workbook): ROLL_BACK when, for some window pair, both the
   * long and the short window burn the error budget of {@code slo} at least {@code factor} times
   * faster than sustainable. Defaults: (1 h, 5 min, 14.4) and (6 h, 30 min, 6). Worst case at a
   * constant request rate: {@code min over pairs of factor × (1 − slo) × (long + long/50)}.
   */
  static BurnRate burnRate(Signal signal, double slo) {
    return BurnRateRule.of(Objects.requireNonNull(signal, "signal"), slo);
  }

  /**
   * A sequential test (CUSUM of the log-likelihood ratio) on the error rate: fast on a sudden
   * failure, with a bounded false-alarm rate. Defaults: baseline error rate 1%, detecting 10%,
   * at most one false alarm in 10⁸ samples (threshold {@code h = ln 10⁸ ≈ 18.4}). Worst case:
   * {@code ⌈h / ln(p1/p0)⌉ × signal.sampleInterval()} (8 samples with the defaults).
   */
  static Sequential sequential(Signal signal) {
    return SequentialRule.of(Objects.requireNonNull(signal, "signal"));
  }

  /**
   * ROLL_BACK when {@code signal} has not had a single successful observation within
   * {@code deadline} of an evaluator's first evaluation (the rollout made no progress). Worst case: the deadline.
   */
  static Trigger progressDeadline(Signal signal, Duration deadline) {
    return new ProgressDeadlineRule(Objects.requireNonNull(signal, "signal"), Objects.requireNonNull(deadline, "deadline"));
  }

  /**
   * A baseline-versus-canary judge (Mann–Whitney U, as Kayenta's default judge): ROLL_BACK when
   * the canary is worse than the baseline with the given confidence. Defaults: latency, over
   * 5 min, 50 samples per side, confidence 0.98. Worst case: {@code window + window/50},
   * provided each side carries {@code minSamples} per window.
   */
  static Judge judge(Signal baseline, Signal canary) {
    return JudgeRule.of(Objects.requireNonNull(baseline, "baseline"), Objects.requireNonNull(canary, "canary"));
  }

  /**
   * A sequential test of the canary's error rate against the baseline's, for small regressions:
   * ROLL_BACK once the errors the two sides served make a canary that fails {@code r} times as
   * often as the baseline (default 2: a doubling, such as 1% → 2%) more likely than one that
   * fails as often, by a likelihood ratio of {@code 1/α} (default α = 0.001). The chance that a
   * canary as good as its baseline is ever rolled back is at most α, however long and however
   * often it is evaluated. It needs no error rate for the baseline: only which side each error
   * came from, given the traffic each side served. See {@code docs/detection.md} for the number
   * of requests it needs. Worst case (the canary failing every request, the canary at most half
   * the traffic): {@code ⌈ln(1/α) / ln(2r/(r+1))⌉ × canary.sampleInterval()} (25 failed canary
   * requests with the defaults).
   */
  static CanarySequential canarySequential(Signal baseline, Signal canary) {
    return CanarySequentialRule.of(Objects.requireNonNull(baseline, "baseline"), Objects.requireNonNull(canary, "canary"));
  }

  /** A trigger a human (or the application) fires; worst case zero. */
  static Manual manual(String name) {
    return new ManualRule(Objects.requireNonNull(name, "name"));
  }

  /** ROLL_BACK while any alert in {@code alerts} is firing. Worst case zero (after the alert arrives). */
  static Trigger externalAlert(Alerts alerts) {
    return externalAlert(alerts, Map.of());
  }

  /** ROLL_BACK while an alert whose labels include all of {@code labels} is firing. */
  static Trigger externalAlert(Alerts alerts, Map<String, String> labels) {
    return new ExternalAlertRule(Objects.requireNonNull(alerts, "alerts"), Map.copyOf(labels));
  }

  /** ROLL_BACK when any member does; worst case the fastest member's. */
  static Trigger anyOf(String name, Trigger... members) {
    return Composition.any(name, List.of(members));
  }

  /** ROLL_BACK only when every member does at the same evaluation; worst case the slowest member's. */
  static Trigger allOf(String name, Trigger... members) {
    return Composition.all(name, List.of(members));
  }

  /**
   * Hysteresis: ROLL_BACK only once {@code trigger} has said ROLL_BACK at every evaluation for
   * at least {@code holdFor}, so a blip does not roll back. Worst case: the member's plus {@code holdFor}.
   */
  static Trigger sustained(Trigger trigger, Duration holdFor) {
    return new Sustained(Objects.requireNonNull(trigger, "trigger"), Objects.requireNonNull(holdFor, "holdFor"));
  }

  /** An error-ratio rule; every call returns a new rule and leaves this one as it is. */
  interface ErrorRatio extends Trigger {
    ErrorRatio above(double ratio);

    ErrorRatio over(Duration window);

    ErrorRatio minSamples(int samples);
  }

  /** A latency-percentile rule. */
  interface LatencyPercentile extends Trigger {
    /** The quantile, in (0, 1]: 0.99 for p99. */
    LatencyPercentile percentile(double quantile);

    LatencyPercentile above(Duration limit);

    LatencyPercentile over(Duration window);

    LatencyPercentile minSamples(int samples);
  }

  /** A multi-window burn-rate rule. */
  interface BurnRate extends Trigger {
    /** Replaces the default window pairs on first use, adds a pair after that. */
    BurnRate window(Duration longWindow, Duration shortWindow, double factor);

    /** The minimum number of samples in the short window. */
    BurnRate minSamples(int samples);
  }

  /** A sequential (CUSUM) test on the error rate. */
  interface Sequential extends Trigger {
    /** The error rate of a healthy release (p0). */
    Sequential baseline(double errorRate);

    /** The error rate the test is tuned to detect (p1 &gt; p0). */
    Sequential detecting(double errorRate);

    /** At most one false alarm per this many samples on a healthy release (sets h = ln(samples)). */
    Sequential falseAlarmOnceIn(double samples);
  }

  /** A baseline-versus-canary judge. */
  interface Judge extends Trigger {
    /** Compare latencies (the default). */
    Judge onLatency();

    /** Compare error rates: ROLL_BACK when the canary's is higher by at least {@code tolerance} (absolute). */
    Judge onErrors(double tolerance);

    Judge over(Duration window);

    Judge minSamples(int perSide);

    Judge confidence(double level);
  }

  /** A sequential test of a canary's error rate against its baseline's. */
  interface CanarySequential extends Trigger {
    /** The error-rate ratio canary / baseline the test is tuned to confirm (above 1; default 2). */
    CanarySequential detectingRatio(double ratio);

    /** The most probability of ever rolling back a canary as good as its baseline (in (0, 1); default 0.001). */
    CanarySequential falseAlarmProbability(double alpha);
  }

  /**
   * A trigger fired by a call. Firing is an input from outside, like a signal going down, not
   * evaluation state: it latches on the trigger for good. Every evaluator of the trigger, whether
   * created before or after the fire, returns ROLL_BACK with who and why from its next evaluation
   * on; evaluating never clears the latch, so a guard and a release given the same manual trigger
   * both see a fire, and neither can hide it from the other. A fired trigger therefore belongs to
   * the deployment it was fired for: give the next deployment a new {@code Trigger.manual(name)}.
   */
  interface Manual extends Trigger {
    /**
     * Fires: every evaluator of this trigger returns ROLL_BACK with who and why from its next
     * evaluation on, and the guards watching it are woken at once. The first fire's actor and
     * reason are kept; a later fire only wakes the watchers again.
     */
    void fire(String actor, String reason);
  }
}
