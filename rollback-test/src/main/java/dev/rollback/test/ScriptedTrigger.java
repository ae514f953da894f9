package dev.rollback.test;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * A trigger that answers a script, for tests of guards and releases: either verdicts in order
 * ({@link #answering}: the last one repeats) or ROLL_BACK once a condition holds
 * ({@link #rollingBackWhen}). Everything is given when it is made. Each evaluator (one per run
 * or guard, {@link #newEvaluator()}) walks the script from its start; every evaluation of every
 * evaluator is recorded here.
 *
 * <pre>{@code
 * Trigger errors = ScriptedTrigger.rollingBackWhen("error ratio", Duration.ofSeconds(30),
 *     now -> world.isBroken(), "error ratio 0.4 over 30 s");
 * }</pre>
 */
public final class ScriptedTrigger implements Trigger {
  private final String name;
  private final Duration worstCase;
  private final List<Verdict> script;
  private final Predicate<Instant> condition;
  private final String evidence;
  private final List<Evaluation> evaluations = new ArrayList<>();
  private int evaluators;

  private ScriptedTrigger(String name, Duration worstCase, List<Verdict> script, Predicate<Instant> condition,
      String evidence) {
    this.name = Objects.requireNonNull(name, "name");
    Objects.requireNonNull(worstCase, "worstCaseDetection");
    if (worstCase.isNegative() || worstCase.isZero()) {
      throw new IllegalArgumentException("worst-case detection must be positive: " + worstCase);
    }
    this.worstCase = worstCase;
    this.script = List.copyOf(script);
    this.condition = condition;
    this.evidence = Objects.requireNonNull(evidence, "evidence");
  }

  /** Answers {@code verdicts} in order, one per evaluation, then repeats the last one. */
  public static ScriptedTrigger answering(String name, Duration worstCaseDetection, Verdict... verdicts) {
    if (verdicts.length == 0) throw new IllegalArgumentException("trigger '" + name + "' needs at least one verdict");
    for (Verdict v : verdicts) Objects.requireNonNull(v, "verdict");
    return new ScriptedTrigger(name, worstCaseDetection, List.of(verdicts), now -> false, "scripted");
  }

  /** HOLD until {@code condition} holds at an evaluation, then ROLL_BACK with {@code evidence}. */
  public static ScriptedTrigger rollingBackWhen(String name, Duration worstCaseDetection, Predicate<Instant> condition,
      String evidence) {
    return new ScriptedTrigger(name, worstCaseDetection, List.of(), Objects.requireNonNull(condition, "condition"), evidence);
  }

  /** ROLL_BACK with {@code evidence} from {@code from} on (by the time the engine or guard passes in). */
  public static ScriptedTrigger rollingBackFrom(String name, Duration worstCaseDetection, Instant from, String evidence) {
    Objects.requireNonNull(from, "from");
    return rollingBackWhen(name, worstCaseDetection, now -> !now.isBefore(from), evidence);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Trigger.Evaluator newEvaluator() {
    synchronized (this) {
      evaluators++;
    }
    return new Trigger.Evaluator() {
      private int next;

      @Override
      public Trigger trigger() {
        return ScriptedTrigger.this;
      }

      @Override
      public Evaluation evaluate(Instant now) {
        Evaluation e;
        if (!script.isEmpty()) {
          Verdict v = script.get(Math.min(next++, script.size() - 1));
          e = new Evaluation(name, v, now, "scripted " + v + " (evaluation " + next + ")", Map.of());
        } else if (condition.test(now)) {
          e = Evaluation.rollBack(name, now, evidence);
        } else {
          e = Evaluation.hold(name, now, "not yet: " + evidence);
        }
        synchronized (ScriptedTrigger.this) {
          evaluations.add(e);
        }
        return e;
      }
    };
  }

  @Override
  public Duration worstCaseDetection() {
    return worstCase;
  }

  /** Every evaluation so far, in order. */
  public synchronized List<Evaluation> evaluations() {
    return List.copyOf(evaluations);
  }

  /** How many evaluators were created: one per run or guard that evaluated this trigger. */
  public synchronized int evaluatorsCreated() {
    return evaluators;
  }

  @Override
  public String toString() {
    return "ScriptedTrigger[" + name + "]";
  }
}
