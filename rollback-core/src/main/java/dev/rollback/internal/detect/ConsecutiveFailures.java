package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * ROLL_BACK after {@code n} failed observations in a row. Worst case: {@code n × sample interval}.
 * UNKNOWN observations neither count nor break the run; {@code n} UNKNOWNs in a row ask a human.
 * For aggregated request counts (order unknown) a batch with any success resets the run.
 */
public final class ConsecutiveFailures extends Rule {
  private final Signal signal;
  private final int n;

  public ConsecutiveFailures(Signal signal, int n) {
    super(n + " consecutive failures of '" + signal.name() + "'");
    if (n < 1) throw new IllegalArgumentException("consecutive failures must be at least 1: " + n);
    this.signal = signal;
    this.n = n;
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** The run of failures this evaluator has seen, over aggregated counts (a signal with trailing runs keeps its own). */
  private final class State extends BaseEvaluator {
    private @Nullable Observations last;
    private long streak;

    State() {
      super(ConsecutiveFailures.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Observations o = signal.observe(now);
      Observations prev = last;
      last = o;
      long unknownRun;
      if (o.trailingFailures() >= 0) {
        streak = o.trailingFailures();
        unknownRun = o.trailingUnknown();
      } else {
        long f = o.failures() - (prev == null ? 0 : prev.failures());
        long g = o.good() - (prev == null ? 0 : prev.good());
        streak = g > 0 ? 0 : streak + f;
        unknownRun = 0;
      }
      if (streak >= n) {
        return result(Verdict.ROLL_BACK, now, streak + " consecutive failures of '" + signal.name() + "' (limit " + n
            + "); last: " + o.detail(), "observed", streak + " failures in a row", "threshold", n,
            "window", "consecutive observations", "consecutive", streak, "limit", n);
      }
      if (unknownRun >= n) {
        return result(Verdict.ASK_HUMAN, now, "'" + signal.name() + "' could not tell for " + unknownRun
            + " observations in a row (no rollback on missing data); last: " + o.detail(), "unknownInARow", unknownRun);
      }
      if (o.total() == (prev == null ? 0 : prev.total())) {
        return starved(now, deadline, "'" + signal.name() + "' was not observed since the last evaluation"
            + (o.total() == 0 ? " (never observed)" : ""), "consecutive", streak);
      }
      fed();
      return result(Verdict.HOLD, now, streak + " consecutive failures of '" + signal.name() + "' (limit " + n + ")",
          "consecutive", streak);
    }
  }

  @Override
  public Duration worstCaseDetection() {
    return signal.sampleInterval().multipliedBy(n);
  }

  @Override
  public String detectionFormula() {
    return n + " × sample interval " + human(signal.sampleInterval());
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
