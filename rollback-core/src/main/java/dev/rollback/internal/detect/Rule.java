package dev.rollback.internal.detect;

import dev.rollback.Evaluation;
import dev.rollback.Trigger;
import dev.rollback.Verdict;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Base of the built-in rules: evaluation is serialized and never throws (a failing rule is
 * ASK_HUMAN with the reason, never a rollback).
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
  public final synchronized Evaluation evaluate(Instant now) {
    try {
      return doEvaluate(now, false);
    } catch (RuntimeException e) {
      return Evaluation.askHuman(name, now, "rule '" + name + "' failed to evaluate: " + e);
    }
  }

  @Override
  public final synchronized Evaluation evaluateAtDeadline(Instant now) {
    try {
      return doEvaluate(now, true);
    } catch (RuntimeException e) {
      return Evaluation.askHuman(name, now, "rule '" + name + "' failed to evaluate: " + e);
    }
  }

  @Override
  public final synchronized void reset() {
    doReset();
  }

  /** Evaluates; {@code deadline} is true at the end of the observation period. */
  protected abstract Evaluation doEvaluate(Instant now, boolean deadline);

  protected abstract void doReset();

  protected Evaluation result(Verdict v, Instant now, String evidence, Object... facts) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < facts.length; i += 2) m.put(String.valueOf(facts[i]), String.valueOf(facts[i + 1]));
    return new Evaluation(name, v, now, evidence, m);
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + name + "]";
  }
}
