package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * A rule judging one signal over a sliding window with a minimum sample count. Worst case:
 * window + the window's resolution, whatever the rule measures in it.
 */
abstract class WindowedRule extends Rule {
  protected final Signal signal;
  protected final Duration length;
  protected final int minSamples;
  protected final Duration resolution;

  WindowedRule(String name, Signal signal, Duration length, int minSamples) {
    super(name);
    Objects.requireNonNull(length, "window");
    if (length.isNegative() || length.isZero()) throw new IllegalArgumentException("window must be positive: " + length);
    if (minSamples < 1) throw new IllegalArgumentException("minSamples must be at least 1: " + minSamples);
    this.signal = signal;
    this.length = length;
    this.minSamples = minSamples;
    this.resolution = Window.resolutionOf(length);
  }

  /** An evaluator with its own sliding window over the signal. */
  abstract class WindowState extends BaseEvaluator {
    protected final Window window = new Window(length);

    WindowState() {
      super(WindowedRule.this);
    }

    /**
     * When the window holds fewer than {@link #minSamples} {@code noun} (e.g. "latency samples"):
     * HOLD, saying how many it has and, in {@code neededFor}, what for, and how many observations
     * could not tell; ASK_HUMAN once that has lasted longer than the window, and at the deadline
     * (see {@link BaseEvaluator#starved}). Null when there are enough.
     */
    protected @Nullable Evaluation tooFew(Instant now, boolean deadline, Window.Delta d, long samples, String noun,
        String neededFor, Object... data) {
      if (samples >= minSamples) {
        fed();
        return null;
      }
      String why = "only " + samples + " " + noun + " of '" + signal.name() + "' in the last " + human(d.span()) + " (need "
          + minSamples + neededFor + ")" + (d.unknown() > 0 ? "; " + d.unknown() + " observations could not tell (errored)" : "");
      return starved(now, deadline, why, data);
    }
  }

  @Override
  public Duration worstCaseDetection() {
    return length.plus(resolution);
  }

  @Override
  public String detectionFormula() {
    return "window " + human(length) + " + resolution " + human(resolution) + ", with at least "
        + minSamples + " samples per window";
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
