package dev.rollback.internal.detect;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

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
