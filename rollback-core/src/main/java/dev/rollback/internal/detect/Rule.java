package dev.rollback.internal.detect;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Base of the built-in rules: an immutable description whose {@link #newEvaluator()} returns a
 * {@link BaseEvaluator} holding that evaluator's state alone.
 */
public abstract class Rule implements Trigger {
  protected final String name;

  protected Rule(String name) {
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public abstract BaseEvaluator newEvaluator();

  /**
   * How long the rule may go without the data it needs (no samples, or only observations that
   * could not tell) before it stops holding and asks a human: no data is not good news. Its window
   * (the worst-case detection time), and at least a minute: many signals observe less often than
   * they are polled (a task seen healthy only after its stability window, a crash-looping task
   * failing once per restart delay), and a rule that asks a human between two of their
   * observations would stop every release for a gap that is normal.
   */
  protected Duration starvationLimit() {
    Duration w = worstCaseDetection();
    return w.compareTo(MIN_STARVATION) < 0 ? MIN_STARVATION : w;
  }

  /** The shortest time without data after which a rule asks a human. */
  static final Duration MIN_STARVATION = Duration.ofMinutes(1);

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + "]";
  }

  /**
   * Base of the built-in evaluators: evaluation is serialized and never throws (a failing rule is
   * ASK_HUMAN with the reason, never a rollback).
   */
  public abstract static class BaseEvaluator implements Trigger.Evaluator {
    private final Rule rule;
    /** Since when the rule has lacked the data it needs; null while it has it. */
    private @Nullable Instant starvedSince;

    protected BaseEvaluator(Rule rule) {
      this.rule = rule;
    }

    @Override
    public final Trigger trigger() {
      return rule;
    }

    @Override
    public final synchronized Evaluation evaluate(Instant now) {
      try {
        return doEvaluate(now, false);
      } catch (RuntimeException e) {
        return Evaluation.askHuman(rule.name, now, "rule '" + rule.name + "' failed to evaluate: " + e);
      }
    }

    @Override
    public final synchronized Evaluation evaluateAtDeadline(Instant now) {
      try {
        return doEvaluate(now, true);
      } catch (RuntimeException e) {
        return Evaluation.askHuman(rule.name, now, "rule '" + rule.name + "' failed to evaluate: " + e);
      }
    }

    /** Evaluates; {@code deadline} is true at the end of the observation period. Called one at a time. */
    protected abstract Evaluation doEvaluate(Instant now, boolean deadline);

    /**
     * The rule lacks the data it needs now ({@code why}): HOLD while that has lasted no longer than
     * its {@link Rule#starvationLimit()}, ASK_HUMAN after that and at the deadline. Never ROLL_BACK,
     * and never a pass that hides the gap (argo-rollouts#4479, #1905).
     */
    protected final Evaluation starved(Instant now, boolean deadline, String why, Object... facts) {
      if (starvedSince == null) starvedSince = now;
      Duration starving = Duration.between(starvedSince, now);
      Duration limit = rule.starvationLimit();
      Object[] more = java.util.Arrays.copyOf(facts, facts.length + 2);
      more[facts.length] = "starvedFor";
      more[facts.length + 1] = dev.rollback.internal.Durations.human(starving);
      if (deadline) {
        return result(Verdict.ASK_HUMAN, now, "inconclusive at the deadline: " + why + "; no data is not good news, a human decides",
            more);
      }
      if (starving.compareTo(limit) > 0) {
        return result(Verdict.ASK_HUMAN, now, "no data to judge for " + dev.rollback.internal.Durations.human(starving)
            + ", longer than the rule's window of " + dev.rollback.internal.Durations.human(limit) + ": " + why
            + "; no data is not good news: is the service receiving traffic, is the measurement answering?", more);
      }
      return result(Verdict.HOLD, now, why, more);
    }

    /** The rule has the data it needs again. */
    protected final void fed() {
      starvedSince = null;
    }

    protected Evaluation result(Verdict v, Instant now, String evidence, Object... facts) {
      Map<String, String> m = new LinkedHashMap<>();
      for (int i = 0; i + 1 < facts.length; i += 2) m.put(String.valueOf(facts[i]), String.valueOf(facts[i + 1]));
      return new Evaluation(rule.name, v, now, evidence, m);
    }

    @Override
    public String toString() {
      return "evaluator of " + rule;
    }
  }
}
