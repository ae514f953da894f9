package dev.rollback.internal.detect;

import dev.rollback.detect.Evaluation;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * AND / OR of triggers. OR: ROLL_BACK if any member says so, else ASK_HUMAN if any asks, else
 * HOLD. AND: HOLD if any member holds, else ASK_HUMAN if any asks, else ROLL_BACK. Every member is
 * evaluated every time, so their windows stay current. The composition's evaluator creates and
 * owns one evaluator per member.
 */
public final class Composition extends Rule {
  private final List<Trigger> members;
  private final boolean all;

  private Composition(String name, List<Trigger> members, boolean all) {
    super(name);
    if (name.isBlank()) throw new IllegalArgumentException("trigger name must not be blank");
    if (members.isEmpty()) throw new IllegalArgumentException("composite trigger '" + name + "' has no members");
    members.forEach(m -> Objects.requireNonNull(m, "member of '" + name + "'"));
    this.members = List.copyOf(members);
    this.all = all;
  }

  public static Composition any(String name, List<Trigger> members) {
    return new Composition(Objects.requireNonNull(name, "name"), members, false);
  }

  public static Composition all(String name, List<Trigger> members) {
    return new Composition(Objects.requireNonNull(name, "name"), members, true);
  }

  @Override
  public BaseEvaluator newEvaluator() {
    return new State();
  }

  /** The members' evaluators, created with this one. */
  private final class State extends BaseEvaluator {
    private final List<Trigger.Evaluator> evaluators = Evaluators.of(members);

    State() {
      super(Composition.this);
    }

    @Override
    protected Evaluation doEvaluate(Instant now, boolean deadline) {
      List<Evaluation> evs = new ArrayList<>();
      for (Trigger.Evaluator t : evaluators) evs.add(deadline ? t.evaluateAtDeadline(now) : t.evaluate(now));
      Verdict v;
      if (all) {
        v = evs.stream().anyMatch(e -> e.verdict() == Verdict.HOLD) ? Verdict.HOLD
            : evs.stream().anyMatch(e -> e.verdict() == Verdict.ASK_HUMAN) ? Verdict.ASK_HUMAN : Verdict.ROLL_BACK;
      } else {
        v = evs.stream().anyMatch(e -> e.verdict() == Verdict.ROLL_BACK) ? Verdict.ROLL_BACK
            : evs.stream().anyMatch(e -> e.verdict() == Verdict.ASK_HUMAN) ? Verdict.ASK_HUMAN : Verdict.HOLD;
      }
      StringBuilder b = new StringBuilder(all ? "all of: " : "any of: ");
      for (Evaluation e : evs) {
        if (v == Verdict.HOLD || e.verdict() == v || all) {
          b.append('[').append(e.trigger()).append(": ").append(e.verdict()).append(", ").append(e.evidence()).append("] ");
        }
      }
      return result(v, now, b.toString().trim());
    }
  }

  @Override
  public Duration worstCaseDetection() {
    Duration d = null;
    for (Trigger t : members) {
      Duration w = t.worstCaseDetection();
      if (d == null || (all ? w.compareTo(d) > 0 : w.compareTo(d) < 0)) d = w;
    }
    return d;
  }

  @Override
  public String detectionFormula() {
    List<String> parts = new ArrayList<>();
    for (Trigger t : members) parts.add(t.detectionFormula());
    return (all ? "max(" : "min(") + String.join("; ", parts) + ")";
  }

  @Override
  public List<Signal> signals() {
    List<Signal> out = new ArrayList<>();
    for (Trigger t : members) for (Signal s : t.signals()) if (!out.contains(s)) out.add(s);
    return out;
  }
}
