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

/** ROLL_BACK when no successful observation arrived within the deadline of the first evaluation. */
public final class ProgressDeadlineRule extends Rule {
  private final Signal signal;
  private final Duration deadline;

  public ProgressDeadlineRule(Signal signal, Duration deadline) {
    super("progress of '" + signal.name() + "' within " + human(deadline));
    if (deadline.isNegative() || deadline.isZero()) throw new IllegalArgumentException("progress deadline must be positive: " + deadline);
    this.signal = signal;
    this.deadline = deadline;
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** The first observation (the start of the deadline) and the moment of progress, this evaluator's own. */
  private final class State extends BaseEvaluator {
    private @Nullable Observations base;
    private @Nullable Instant progressAt;

    State() {
      super(ProgressDeadlineRule.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean atDeadline) {
      if (progressAt != null) return result(Verdict.HOLD, now, "'" + signal.name() + "' made progress at " + progressAt);
      Observations o = signal.observe(now);
      boolean first = base == null;
      if (first) base = o;
      boolean lastWasGood = o.trailingFailures() == 0 && o.trailingUnknown() == 0 && o.good() > 0;
      if (first ? lastWasGood : o.good() > base.good()) {
        progressAt = now;
        return result(Verdict.HOLD, now, "'" + signal.name() + "' made progress at " + now + ": " + o.detail());
      }
      Instant due = base.at().plus(deadline);
      if (!now.isBefore(due)) {
        return result(Verdict.ROLL_BACK, now, "'" + signal.name() + "' made no progress within " + human(deadline)
            + " (no successful observation since " + base.at() + "); last: " + o.detail(),
            "observed", "no success since " + base.at(), "threshold", human(deadline), "window", human(deadline),
            "deadline", deadline);
      }
      return result(Verdict.HOLD, now, "waiting for '" + signal.name() + "' to make progress until " + due + "; last: " + o.detail());
    }
  }

  @Override
  public Duration worstCaseDetection() {
    return deadline;
  }

  @Override
  public String detectionFormula() {
    return "the progress deadline " + human(deadline);
  }

  @Override
  public List<Signal> signals() {
    return List.of(signal);
  }
}
