package dev.rollback.internal.detect;

import static dev.rollback.internal.Durations.human;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * Hysteresis: the member's ROLL_BACK counts only after it held for a while at every evaluation.
 * The evaluator creates and owns the member's evaluator.
 */
public final class Sustained extends Rule {
  private final Trigger member;
  private final Duration holdFor;

  public Sustained(Trigger member, Duration holdFor) {
    super(member.name() + " for " + human(holdFor));
    if (holdFor.isNegative()) throw new IllegalArgumentException("hold time must not be negative: " + holdFor);
    this.member = member;
    this.holdFor = holdFor;
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** Since when the member's evaluator has said ROLL_BACK without a break. */
  private final class State extends BaseEvaluator {
    private final Trigger.Evaluator evaluator = Evaluators.of(member);
    private @Nullable Instant since;

    State() {
      super(Sustained.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      Evaluation e = deadline ? evaluator.evaluateAtDeadline(now) : evaluator.evaluate(now);
      if (e.verdict() != Verdict.ROLL_BACK) {
        since = null;
        return new Evaluation(name, e.verdict(), now, e.evidence(), e.facts());
      }
      if (since == null) since = now;
      Duration held = Duration.between(since, now);
      if (held.compareTo(holdFor) >= 0) {
        return new Evaluation(name, Verdict.ROLL_BACK, now, e.evidence() + " (sustained for " + human(held) + ")", e.facts());
      }
      return result(Verdict.HOLD, now, "firing for " + human(held) + " of the required " + human(holdFor) + ": " + e.evidence());
    }
  }

  @Override
  public Duration worstCaseDetection() {
    return member.worstCaseDetection().plus(holdFor);
  }

  @Override
  public String detectionFormula() {
    return member.detectionFormula() + " + hold " + human(holdFor);
  }

  @Override
  public List<Signal> signals() {
    return member.signals();
  }
}
