package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/** A latency percentile over a sliding window. Worst case: window + resolution. */
public final class LatencyRule extends WindowedRule implements Trigger.LatencyPercentile {
  private final double quantile;
  private final Duration limit;

  private LatencyRule(Signal signal, double quantile, Duration limit, Duration length, int minSamples) {
    super("p" + trim(quantile * 100) + " latency of '" + signal.name() + "' above " + human(Objects.requireNonNull(limit, "limit"))
        + " over " + human(Objects.requireNonNull(length, "window")), signal, length, minSamples);
    if (!(quantile > 0 && quantile <= 1)) throw new IllegalArgumentException("percentile must be in (0, 1]: " + quantile);
    if (limit.isNegative()) throw new IllegalArgumentException("latency limit must not be negative: " + limit);
    this.quantile = quantile;
    this.limit = limit;
  }

  private static String trim(double d) {
    return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
  }

  public static LatencyRule of(Signal signal) {
    return new LatencyRule(signal, 0.99, Duration.ofSeconds(1), Duration.ofSeconds(60), 50);
  }

  @Override public LatencyPercentile percentile(double q) { return new LatencyRule(signal, q, limit, length, minSamples); }
  @Override public LatencyPercentile above(Duration l) { return new LatencyRule(signal, quantile, l, length, minSamples); }
  @Override public LatencyPercentile over(Duration w) { return new LatencyRule(signal, quantile, limit, w, minSamples); }
  @Override public LatencyPercentile minSamples(int n) { return new LatencyRule(signal, quantile, limit, length, n); }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  private final class State extends WindowState {
    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Window.Delta d = window.slide(signal.observe(now));
      long n = d.latency().count();
      Evaluation few = tooFew(now, deadline, d, n, "latency samples", "", "samples", n);
      if (few != null) return few;
      Duration p = d.latency().percentile(quantile).orElseThrow();
      boolean bad = p.compareTo(limit) > 0;
      String ev = "p" + trim(quantile * 100) + " latency of '" + signal.name() + "' is " + human(p) + " over the last "
          + human(d.span()) + " (" + n + " samples), " + (bad ? "above" : "within") + " the limit " + human(limit);
      return result(bad ? Verdict.ROLL_BACK : Verdict.HOLD, now, ev, "observed", "p" + trim(quantile * 100) + " " + human(p),
          "threshold", human(limit), "window", human(d.span()), "percentileNanos", p.toNanos(), "samples", n);
    }
  }
}
