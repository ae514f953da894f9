package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * Error ratio over a sliding window with a minimum sample count, judged once the window has
 * filled at least half its length. Worst case: window + resolution.
 */
public final class ErrorRatioRule extends WindowedRule implements Trigger.ErrorRatio {
  private final double threshold;

  private ErrorRatioRule(Signal signal, double threshold, Duration length, int minSamples) {
    super("error ratio of '" + signal.name() + "' above " + threshold + " over " + human(Objects.requireNonNull(length, "window")),
        signal, length, minSamples);
    if (!(threshold >= 0 && threshold < 1)) throw new IllegalArgumentException("error ratio threshold must be in [0, 1): " + threshold);
    this.threshold = threshold;
  }

  public static ErrorRatioRule of(Signal signal) {
    return new ErrorRatioRule(signal, 0.05, Duration.ofSeconds(30), 50);
  }

  @Override public ErrorRatio above(double ratio) { return new ErrorRatioRule(signal, ratio, length, minSamples); }
  @Override public ErrorRatio over(Duration w) { return new ErrorRatioRule(signal, threshold, w, minSamples); }
  @Override public ErrorRatio minSamples(int n) { return new ErrorRatioRule(signal, threshold, length, n); }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  private final class State extends WindowState {
    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Window.Delta d = window.slide(signal.observe(now));
      long n = d.decided();
      Evaluation few = tooFew(now, deadline, d, n, "samples", " to judge the error ratio", "samples", n, "minSamples", minSamples);
      if (few != null) return few;
      if (d.span().compareTo(length.dividedBy(2)) < 0 && !deadline) {
        // a window that has only just started filling judges too few seconds: a burst of background
        // errors among its first requests (7 of 125 at 1 % is 5.6 %) would look like an outage
        return result(Verdict.HOLD, now, "the window over '" + signal.name() + "' has filled " + human(d.span()) + " of "
            + human(length) + "; judging from half of it (" + d.failures() + " of " + n + " failed so far)",
            "samples", n, "failures", d.failures());
      }
      double ratio = d.errorRatio();
      String ev = String.format("error ratio %.4f of '%s' over the last %s (%d of %d failed) %s %s", ratio, signal.name(),
          human(d.span()), d.failures(), n, ratio > threshold ? "is above" : "is within", threshold);
      return result(ratio > threshold ? Verdict.ROLL_BACK : Verdict.HOLD, now, ev,
          "observed", String.format("%.4f", ratio), "threshold", threshold, "window", human(d.span()),
          "errorRatio", String.format("%.6f", ratio), "failures", d.failures(), "samples", n);
    }
  }
}
