package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Multi-window, multi-burn-rate alerting (Google SRE workbook, ch. 5). For each pair, fires when
 * both windows' error ratio is at least {@code factor × (1 − slo)}.
 */
public final class BurnRateRule extends Rule implements Trigger.BurnRate {
  /** One window pair. */
  public record Pair(Duration longWindow, Duration shortWindow, double factor) {}

  private final Signal signal;
  private final double slo;
  private final List<Pair> pairs;
  private final boolean defaults;
  private final int minSamples;

  private BurnRateRule(Signal signal, double slo, List<Pair> pairs, boolean defaults, int minSamples) {
    super("burn rate of '" + signal.name() + "' against SLO " + slo);
    if (!(slo > 0 && slo < 1)) throw new IllegalArgumentException("SLO must be in (0, 1), e.g. 0.999: " + slo);
    if (minSamples < 1) throw new IllegalArgumentException("minSamples must be at least 1: " + minSamples);
    for (Pair p : pairs) {
      if (p.longWindow().compareTo(p.shortWindow()) < 0 || p.shortWindow().isZero() || p.shortWindow().isNegative()) {
        throw new IllegalArgumentException("burn-rate windows must be positive with long ≥ short: " + p);
      }
      if (!(p.factor() > 0) || p.factor() * (1 - slo) >= 1) {
        throw new IllegalArgumentException("burn-rate factor " + p.factor() + " with SLO " + slo
            + " needs an error ratio of " + p.factor() * (1 - slo) + ", which can never be reached; use a factor below "
            + 1 / (1 - slo));
      }
    }
    this.signal = signal;
    this.slo = slo;
    this.pairs = List.copyOf(pairs);
    this.defaults = defaults;
    this.minSamples = minSamples;
  }

  public static BurnRateRule of(Signal signal, double slo) {
    return new BurnRateRule(signal, slo, List.of(
        new Pair(Duration.ofHours(1), Duration.ofMinutes(5), 14.4),
        new Pair(Duration.ofHours(6), Duration.ofMinutes(30), 6)), true, 10);
  }

  @Override
  public BurnRate window(Duration longWindow, Duration shortWindow, double factor) {
    Objects.requireNonNull(longWindow, "longWindow");
    Objects.requireNonNull(shortWindow, "shortWindow");
    List<Pair> next = defaults ? new ArrayList<>() : new ArrayList<>(pairs);
    next.add(new Pair(longWindow, shortWindow, factor));
    return new BurnRateRule(signal, slo, next, false, minSamples);
  }

  @Override
  public BurnRate minSamples(int samples) {
    return new BurnRateRule(signal, slo, pairs, defaults, samples);
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** A long and a short window per pair, this evaluator's own. */
  private final class State extends BaseEvaluator {
    private final List<Window[]> windows = new ArrayList<>();

    State() {
      super(BurnRateRule.this);
      for (Pair p : pairs) windows.add(new Window[] {new Window(p.longWindow()), new Window(p.shortWindow())});
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Observations o = signal.observe(now);
      double budget = 1 - slo;
      StringBuilder summary = new StringBuilder();
      boolean enough = false;
      for (int i = 0; i < pairs.size(); i++) {
        Pair p = pairs.get(i);
        Window.Delta l = windows.get(i)[0].slide(o);
        Window.Delta s = windows.get(i)[1].slide(o);
        if (s.decided() < minSamples) {
          summary.append(String.format("%s/%s: only %d samples; ", human(p.longWindow()), human(p.shortWindow()), s.decided()));
          continue;
        }
        enough = true;
        double bl = l.errorRatio() / budget;
        double bs = s.errorRatio() / budget;
        String line = String.format("burning the error budget of SLO %s at %.1f× over %s and %.1f× over %s (threshold %.1f×)",
            slo, bl, human(l.span()), bs, human(s.span()), p.factor());
        if (bl >= p.factor() && bs >= p.factor()) {
          return result(Verdict.ROLL_BACK, now, "'" + signal.name() + "' is " + line,
              "observed", String.format("%.1f× and %.1f× burn", bl, bs), "threshold", String.format("%.1f×", p.factor()),
              "window", human(p.longWindow()) + " and " + human(p.shortWindow()), "longBurn", String.format("%.2f", bl),
              "shortBurn", String.format("%.2f", bs), "factor", p.factor());
        }
        summary.append(line).append("; ");
      }
      if (!enough) {
        return starved(now, deadline, "too few samples of '" + signal.name() + "' to judge the burn rate: "
            + summary.toString().replaceAll("; $", ""));
      }
      fed();
      return result(Verdict.HOLD, now, "'" + signal.name() + "': " + summary.toString().replaceAll("; $", ""));
    }
  }

  @Override
  public Duration worstCaseDetection() {
    Duration best = null;
    for (Pair p : pairs) {
      Duration l = p.longWindow().plus(Window.resolutionOf(p.longWindow()));
      Duration d = Duration.ofNanos((long) Math.ceil(l.toNanos() * p.factor() * (1 - slo)));
      if (best == null || d.compareTo(best) < 0) best = d;
    }
    return best == null ? Duration.ZERO : best;
  }

  @Override
  public String detectionFormula() {
    List<String> parts = new ArrayList<>();
    for (Pair p : pairs) {
      parts.add(p.factor() + " × " + String.format("%.4g", 1 - slo) + " × (" + human(p.longWindow()) + " + "
          + human(Window.resolutionOf(p.longWindow())) + ")");
    }
    return "min(" + String.join(", ", parts) + ") at a constant request rate";
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
