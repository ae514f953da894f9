package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * Baseline versus canary with a Mann–Whitney U test over a sliding window, as Kayenta's
 * NetflixACAJudge classifies a metric. Latency: ROLL_BACK when the canary is slower with the
 * given confidence and P(canary slower) ≥ 0.6. Errors: ROLL_BACK when the canary fails more
 * often with the given confidence and by at least the tolerance.
 */
public final class JudgeRule extends Rule implements Trigger.Judge {
  private static final double MIN_EFFECT = 0.6;

  private final Signal baseline;
  private final Signal canary;
  private final boolean errors;
  private final double tolerance;
  private final Duration length;
  private final int minSamples;
  private final double level;

  private JudgeRule(Signal baseline, Signal canary, boolean errors, double tolerance, Duration length, int minSamples, double level) {
    super("judge of '" + canary.name() + "' against '" + baseline.name() + "' on " + (errors ? "errors" : "latency"));
    Objects.requireNonNull(length, "window");
    if (length.isNegative() || length.isZero()) throw new IllegalArgumentException("window must be positive: " + length);
    if (minSamples < 2) throw new IllegalArgumentException("minSamples per side must be at least 2: " + minSamples);
    if (!(level > 0.5 && level < 1)) throw new IllegalArgumentException("confidence must be in (0.5, 1): " + level);
    if (!(tolerance >= 0 && tolerance < 1)) throw new IllegalArgumentException("tolerance must be in [0, 1): " + tolerance);
    this.baseline = baseline;
    this.canary = canary;
    this.errors = errors;
    this.tolerance = tolerance;
    this.length = length;
    this.minSamples = minSamples;
    this.level = level;
  }

  public static JudgeRule of(Signal baseline, Signal canary) {
    return new JudgeRule(baseline, canary, false, 0.01, Duration.ofMinutes(5), 50, 0.98);
  }

  @Override public Judge onLatency() { return new JudgeRule(baseline, canary, false, tolerance, length, minSamples, level); }
  @Override public Judge onErrors(double tol) { return new JudgeRule(baseline, canary, true, tol, length, minSamples, level); }
  @Override public Judge over(Duration w) { return new JudgeRule(baseline, canary, errors, tolerance, w, minSamples, level); }
  @Override public Judge minSamples(int n) { return new JudgeRule(baseline, canary, errors, tolerance, length, n, level); }
  @Override public Judge confidence(double c) { return new JudgeRule(baseline, canary, errors, tolerance, length, minSamples, c); }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** A window over each side, this evaluator's own. */
  private final class State extends BaseEvaluator {
    private final Window wb = new Window(length);
    private final Window wc = new Window(length);

    State() {
      super(JudgeRule.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Window.Delta b = wb.slide(baseline.observe(now));
      Window.Delta c = wc.slide(canary.observe(now));
      long nb = errors ? b.decided() : b.latency().count();
      long nc = errors ? c.decided() : c.latency().count();
      if (nb < minSamples || nc < minSamples) {
        String why = "collecting samples: " + nb + " baseline, " + nc + " canary in the last " + human(length)
            + " (need " + minSamples + " each)";
        return starved(now, deadline, why, "baselineSamples", nb, "canarySamples", nc);
      }
      fed();
      MannWhitney.Result r;
      String what;
      boolean worse;
      if (errors) {
        r = MannWhitney.test(new long[] {b.decided() - b.failures(), b.failures()}, new long[] {c.decided() - c.failures(), c.failures()});
        double rb = b.errorRatio();
        double rc = c.errorRatio();
        worse = r.confidence() >= level && rc - rb >= tolerance;
        what = String.format("canary error rate %.4f vs baseline %.4f", rc, rb);
      } else {
        r = MannWhitney.test(counts(b.latency()), counts(c.latency()));
        worse = r.confidence() >= level && r.effect() >= MIN_EFFECT;
        what = String.format("canary p50 %s vs baseline p50 %s, P(canary slower) %.2f", human(c.latency().percentile(0.5).orElseThrow()),
            human(b.latency().percentile(0.5).orElseThrow()), r.effect());
      }
      String ev = String.format("%s; Mann–Whitney U %.0f, z %.2f, confidence %.4f (needs %s); %d baseline and %d canary samples",
          what, r.u(), r.z(), r.confidence(), level, nb, nc);
      return result(worse ? Verdict.ROLL_BACK : Verdict.HOLD, now, (worse ? "canary is worse: " : "no significant regression: ") + ev,
          "observed", what + String.format(", confidence %.4f", r.confidence()), "threshold", "confidence " + level,
          "window", human(length), "confidence", String.format("%.6f", r.confidence()), "z", String.format("%.3f", r.z()),
          "effect", String.format("%.3f", r.effect()), "baselineSamples", nb, "canarySamples", nc);
    }
  }

  private static long[] counts(LatencyHistogram h) {
    long[] out = new long[LatencyHistogram.BUCKETS];
    for (int i = 0; i < out.length; i++) out[i] = h.count(i);
    return out;
  }

  @Override
  public Duration worstCaseDetection() {
    return length.plus(Window.resolutionOf(length));
  }

  @Override
  public String detectionFormula() {
    return "window " + human(length) + " + resolution " + human(Window.resolutionOf(length)) + ", with at least " + minSamples
        + " samples per side per window";
  }

  @Override
  public List<Signal> signals() {
    return List.of(baseline, canary);
  }
}
