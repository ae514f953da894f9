package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;
import static dev.rollback.internal.Durations.pct;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import dev.rollback.internal.Durations;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Page's CUSUM on Bernoulli outcomes: {@code S = max(0, S + f·ln(p1/p0) + g·ln((1−p1)/(1−p0)))}
 * for f failures and g successes since the last evaluation; ROLL_BACK when {@code S ≥ h}. With
 * the exact log-likelihood ratio, the mean number of samples between false alarms on a healthy
 * release is at least {@code e^h} (Lorden), so {@code h = ln(N)} bounds false alarms to about one
 * per N samples. From {@code S = 0}, {@code ⌈h / ln(p1/p0)⌉} failures in a row always fire.
 */
public final class SequentialRule extends Rule implements Trigger.Sequential {
  private final Signal signal;
  private final double p0;
  private final double p1;
  private final double onceIn;
  private final double a;
  private final double b;
  private final double h;
  private final String tuning;

  private SequentialRule(Signal signal, double p0, double p1, double onceIn) {
    super("sequential test on the error rate of '" + signal.name() + "'");
    if (!(p0 > 0 && p0 < 1)) throw new IllegalArgumentException("baseline error rate must be in (0, 1): " + p0);
    if (!(p1 > p0 && p1 < 1)) {
      throw new IllegalArgumentException("the detected error rate must be in (baseline " + p0 + ", 1): " + p1);
    }
    if (!(onceIn > 1) || Double.isInfinite(onceIn)) {
      throw new IllegalArgumentException("false-alarm horizon must be a finite number of samples above 1: " + onceIn);
    }
    this.signal = signal;
    this.p0 = p0;
    this.p1 = p1;
    this.onceIn = onceIn;
    this.a = Math.log(p1 / p0);
    this.b = Math.log((1 - p1) / (1 - p0));
    this.h = Math.log(onceIn);
    this.tuning = " (baseline error rate " + pct(p0) + ", detecting " + pct(p1) + ")";
  }

  public static SequentialRule of(Signal signal) {
    return new SequentialRule(signal, 0.01, 0.10, 1e8);
  }

  @Override public Sequential baseline(double rate) { return new SequentialRule(signal, rate, Math.max(p1, Math.min(0.99, rate * 10)), onceIn); }
  @Override public Sequential detecting(double rate) { return new SequentialRule(signal, p0, rate, onceIn); }
  @Override public Sequential falseAlarmOnceIn(double samples) { return new SequentialRule(signal, p0, p1, samples); }

  /** Failures in a row that always fire from S = 0. */
  public long failuresToFire() {
    return (long) Math.ceil(h / a - 1e-12);
  }

  public double threshold() {
    return h;
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** The CUSUM statistic and the counts since it was last 0, this evaluator's own. */
  private final class State extends BaseEvaluator {
    private @Nullable Observations last;
    private double s;
    private long failuresSinceZero;
    private long samplesSinceZero;
    private long samplesSeen;

    State() {
      super(SequentialRule.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Observations o = signal.observe(now);
      Observations prev = last;
      last = o;
      if (prev != null) {
        long f = o.failures() - prev.failures();
        long g = o.good() - prev.good();
        samplesSeen += f + g;
        double next = s + f * a + g * b;
        if (next <= 0) {
          s = 0;
          failuresSinceZero = 0;
          samplesSinceZero = 0;
        } else {
          s = next;
          failuresSinceZero += f;
          samplesSinceZero += f + g;
        }
      }
      String stats = "CUSUM " + Durations.fixed2(s) + (s >= h ? " ≥" : " <") + " threshold " + Durations.fixed2(h) + ": "
          + failuresSinceZero + " failures in " + samplesSinceZero + " samples since the statistic was last 0" + tuning;
      if (s >= h) {
        return result(Verdict.ROLL_BACK, now, "the error rate of '" + signal.name() + "' rose: " + stats,
            "observed", "CUSUM " + Durations.fixed2(s), "threshold", Durations.fixed2(h),
            "window", samplesSinceZero + " samples since the statistic was last 0", "cusum", String.format("%.3f", s),
            "failures", failuresSinceZero, "samples", samplesSinceZero);
      }
      long fresh = prev == null ? 0 : o.decided() - prev.decided();
      if (fresh == 0) {
        return starved(now, deadline, "'" + signal.name() + "' had no decided sample since the last evaluation ("
            + samplesSeen + " in all); the sequential test cannot judge" + (o.unknown() > 0 ? "; " + o.unknown()
            + " observations could not tell (errored)" : ""), "samples", samplesSeen);
      }
      fed();
      return result(Verdict.HOLD, now, stats);
    }
  }

  @Override
  public Duration worstCaseDetection() {
    return signal.sampleInterval().multipliedBy(failuresToFire());
  }

  @Override
  public String detectionFormula() {
    return String.format("⌈ln(%.3g) / ln(%s / %s)⌉ = %d failed samples × sample interval %s", onceIn, p1, p0,
        failuresToFire(), human(signal.sampleInterval()));
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
