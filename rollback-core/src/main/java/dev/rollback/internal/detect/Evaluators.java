package dev.rollback.internal.detect;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Trigger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Creates the evaluators a watcher (a guard, a release run, a composite rule) evaluates. The
 * built-in rules' evaluators are returned as they are; an application's own trigger gets one
 * that turns an exception or a missing result into ASK_HUMAN with the reason, and a trigger that
 * cannot create an evaluator gets one that always asks a human, so a broken trigger never breaks
 * its watcher and never rolls back by itself.
 */
public final class Evaluators {
  private Evaluators() {}

  /** A new evaluator of {@code trigger}; never throws. */
  public static Trigger.Evaluator of(Trigger trigger) {
    if (trigger instanceof Rule r) return r.newEvaluator();
    Trigger.Evaluator e;
    try {
      e = trigger.newEvaluator();
    } catch (RuntimeException ex) {
      return new Broken(trigger, "trigger '" + trigger.name() + "' could not create its evaluator: " + ex);
    }
    if (e == null) return new Broken(trigger, "trigger '" + trigger.name() + "' created no evaluator");
    return new Guarded(trigger, e);
  }

  /** A new evaluator of each of {@code triggers}, in order. */
  public static List<Trigger.Evaluator> of(List<? extends Trigger> triggers) {
    List<Trigger.Evaluator> out = new ArrayList<>(triggers.size());
    for (Trigger t : triggers) out.add(of(t));
    return List.copyOf(out);
  }

  /** An application's evaluator, kept from throwing or returning nothing. */
  private record Guarded(Trigger trigger, Trigger.Evaluator delegate) implements Trigger.Evaluator {
    @Override
    public Evaluation evaluate(Instant now) {
      return safely(now, false);
    }

    @Override
    public Evaluation evaluateAtDeadline(Instant now) {
      return safely(now, true);
    }

    private Evaluation safely(Instant now, boolean deadline) {
      try {
        Evaluation e = deadline ? delegate.evaluateAtDeadline(now) : delegate.evaluate(now);
        return e != null ? e : Evaluation.askHuman(trigger.name(), now, "trigger '" + trigger.name() + "' returned no evaluation");
      } catch (RuntimeException ex) {
        return Evaluation.askHuman(trigger.name(), now, "trigger '" + trigger.name() + "' threw " + ex);
      }
    }
  }

  /** Stands in for an evaluator that could not be created. */
  private record Broken(Trigger trigger, String why) implements Trigger.Evaluator {
    @Override
    public Evaluation evaluate(Instant now) {
      return Evaluation.askHuman(trigger.name(), now, why);
    }
  }
}
