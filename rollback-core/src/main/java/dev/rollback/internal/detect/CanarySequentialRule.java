package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * Baseline versus canary, sequentially: Wald's probability ratio test on which side each error
 * came from. Given the requests each side served between two evaluations, an error is the
 * canary's with probability {@code π = canary requests / all requests} when both sides fail
 * equally often (H0), and with {@code θ = rπ / (rπ + 1 − π)} when the canary fails {@code r}
 * times as often (H1). The statistic is the log-likelihood ratio summed over the errors since the
 * evaluator started:
 *
 * <pre>    Λ += canary errors · ln(θ/π) + baseline errors · ln((1 − θ)/(1 − π))</pre>
 *
 * <p>and the rule returns ROLL_BACK when {@code Λ ≥ h = ln(1/α)}. Under H0 the likelihood ratio
 * {@code e^Λ} is a non-negative (super)martingale whatever the traffic split and whenever it is
 * looked at, so by Ville's inequality the probability that it <em>ever</em> reaches {@code 1/α}
 * is at most α: the bound holds under continuous monitoring, for any number of evaluations and
 * any length of watch. (Within an interval the canary's errors are hypergeometric given the
 * counts, which is dominated in convex order by the binomial the ratio assumes, so the
 * martingale property holds as an inequality.) The baseline's own error rate never enters:
 * a baseline that fails more for reasons of its own moves both sides together.
 *
 * <p>There is no lower boundary: on a healthy canary Λ drifts down, so a canary that turns bad
 * late in a long watch needs more errors than one bad from the start. Worst case (the canary
 * failing every request, the baseline none, the canary at most half of the traffic): each canary
 * error adds at least {@code ln(2r / (r + 1))}, so {@code ⌈h / ln(2r/(r+1))⌉} canary errors fire.
 */
public final class CanarySequentialRule extends Rule implements Trigger.CanarySequential {
  private final Signal baseline;
  private final Signal canary;
  private final double ratio;
  private final double alpha;
  private final double h;

  private CanarySequentialRule(Signal baseline, Signal canary, double ratio, double alpha) {
    super("sequential test of '" + canary.name() + "' against '" + baseline.name() + "' on errors");
    if (baseline == canary || baseline.name().equals(canary.name())) {
      throw new IllegalArgumentException("baseline and canary must be two different signals: both are '" + canary.name() + "'");
    }
    if (!(ratio > 1) || Double.isInfinite(ratio)) {
      throw new IllegalArgumentException("the detected error-rate ratio must be a finite number above 1: " + ratio);
    }
    if (!(alpha > 0 && alpha < 1)) throw new IllegalArgumentException("false-alarm probability must be in (0, 1): " + alpha);
    this.baseline = baseline;
    this.canary = canary;
    this.ratio = ratio;
    this.alpha = alpha;
    this.h = Math.log(1 / alpha);
  }

  public static CanarySequentialRule of(Signal baseline, Signal canary) {
    return new CanarySequentialRule(baseline, canary, 2.0, 0.001);
  }

  @Override public CanarySequential detectingRatio(double r) { return new CanarySequentialRule(baseline, canary, r, alpha); }
  @Override public CanarySequential falseAlarmProbability(double a) { return new CanarySequentialRule(baseline, canary, ratio, a); }

  public double threshold() {
    return h;
  }

  /** Canary errors (with no baseline errors, the canary at most half the traffic) that always fire. */
  public long canaryErrorsToFire() {
    return (long) Math.ceil(h / Math.log(2 * ratio / (ratio + 1)) - 1e-12);
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** The log-likelihood ratio and the counts since this evaluator started, its own. */
  private final class State extends BaseEvaluator {
    private @Nullable Observations lastBaseline;
    private @Nullable Observations lastCanary;
    private double llr;
    private long baselineRequests;
    private long baselineErrors;
    private long canaryRequests;
    private long canaryErrors;

    State() {
      super(CanarySequentialRule.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Observations b = baseline.observe(now);
      Observations c = canary.observe(now);
      Observations pb = lastBaseline;
      Observations pc = lastCanary;
      lastBaseline = b;
      lastCanary = c;
      if (pb != null && pc != null) {
        long nb = b.decided() - pb.decided();
        long nc = c.decided() - pc.decided();
        long eb = b.failures() - pb.failures();
        long ec = c.failures() - pc.failures();
        if (nb < 0 || nc < 0 || eb < 0 || ec < 0) {
          return result(Verdict.ASK_HUMAN, now, "a signal's counts went backwards (baseline " + pb.decided() + " → " + b.decided()
              + ", canary " + pc.decided() + " → " + c.decided() + " requests): was it restarted? The test cannot judge");
        }
        baselineRequests += nb;
        canaryRequests += nc;
        baselineErrors += eb;
        canaryErrors += ec;
        // errors of an interval in which one side served nothing cannot tell the sides apart
        if (nb > 0 && nc > 0 && eb + ec > 0) {
          double pi = nc / (double) (nb + nc);
          double theta = ratio * pi / (ratio * pi + 1 - pi);
          llr += ec * Math.log(theta / pi) + eb * Math.log((1 - theta) / (1 - pi));
        }
      }
      double rb = baselineRequests == 0 ? 0 : baselineErrors / (double) baselineRequests;
      double rc = canaryRequests == 0 ? 0 : canaryErrors / (double) canaryRequests;
      // built without String.format: a guard evaluates this after every failed request
      String observed = "canary " + canaryErrors + " errors in " + canaryRequests + " requests (" + fixed(rc, 4) + "), baseline "
          + baselineErrors + " in " + baselineRequests + " (" + fixed(rb, 4) + ")";
      String llrText = fixed(llr, 3);
      String hText = fixed(h, 3);
      String stats = "log-likelihood ratio " + llrText + (llr >= h ? " ≥" : " <") + " threshold " + hText + " = ln(1/" + alpha
          + "), testing a " + ratio + "× error rate";
      Object[] facts = {"observed", observed, "threshold", hText, "logLikelihoodRatio", llrText, "canaryErrorRate", fixed(rc, 6),
          "baselineErrorRate", fixed(rb, 6), "canaryRequests", canaryRequests, "baselineRequests", baselineRequests,
          "canaryErrors", canaryErrors, "baselineErrors", baselineErrors, "detectingRatio", ratio, "falseAlarmProbability", alpha};
      if (llr >= h) {
        return result(Verdict.ROLL_BACK, now, "the canary '" + canary.name() + "' fails more often than the baseline '"
            + baseline.name() + "': " + observed + "; " + stats, facts);
      }
      if (deadline && (canaryRequests == 0 || baselineRequests == 0)) {
        return result(Verdict.ASK_HUMAN, now, "inconclusive at the deadline: " + (canaryRequests == 0 ? "the canary" : "the baseline")
            + " served no requests, so the test cannot compare them (" + observed + ")", facts);
      }
      return result(Verdict.HOLD, now, "no significant regression yet: " + observed + "; " + stats, facts);
    }
  }

  /** {@code v} with {@code digits} decimals (at most 9), rounded half up, without String.format. */
  static String fixed(double v, int digits) {
    if (Double.isNaN(v) || Double.isInfinite(v) || Math.abs(v) > 1e9) return String.valueOf(v);
    long scale = (long) Math.pow(10, digits);
    long c = Math.round(Math.abs(v) * scale);
    String frac = Long.toString(c % scale);
    return (v < 0 && c != 0 ? "-" : "") + c / scale + "." + "0".repeat(digits - frac.length()) + frac;
  }

  @Override
  public Duration worstCaseDetection() {
    return canary.sampleInterval().multipliedBy(canaryErrorsToFire());
  }

  @Override
  public String detectionFormula() {
    return String.format(Locale.ROOT, "⌈ln(1/%s) / ln(2·%s / (%s + 1))⌉ = %d failed canary requests × sample interval %s"
        + " (the canary at most half the traffic)", alpha, ratio, ratio, canaryErrorsToFire(), human(canary.sampleInterval()));
  }

  @Override
  public List<Signal> signals() {
    return List.of(baseline, canary);
  }
}
