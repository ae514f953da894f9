package dev.rollback.internal.detect;

import static dev.rollback.internal.detect.Durations.human;

import dev.rollback.Change;
import dev.rollback.RollbackPlan;
import dev.rollback.Stage;
import dev.rollback.Step;
import dev.rollback.Trigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The time-budget check: for each trigger, its worst-case detection plus the worst-case time of
 * the steps it sets off (timeout × attempts + retry delays; a parallel stage takes its slowest
 * step) must fit the declared budget.
 */
public final class Budgets {
  private Budgets() {}

  /** Worst case of a step, or empty if it has no timeout (then it cannot be bounded). */
  public static Optional<Duration> worstCase(Step s) {
    return s.timeout().map(t -> t.multipliedBy(s.retry().maxAttempts()).plus(s.retry().worstCaseDelay()));
  }

  /** Worst case of the plan's stages; steps without a timeout are left out and named in {@code unbounded}. */
  public static Duration worstCase(RollbackPlan plan, List<String> unbounded) {
    Duration total = Duration.ZERO;
    for (Stage st : plan.stages()) {
      Duration stage = Duration.ZERO;
      for (Step s : st.steps()) {
        Optional<Duration> w = worstCase(s);
        if (w.isEmpty()) {
          unbounded.add(st.name() + "/" + s.name());
          continue;
        }
        stage = st.parallel() ? max(stage, w.get()) : stage.plus(w.get());
      }
      total = total.plus(stage);
    }
    return total;
  }

  /** Worst case of reverting every change of a release, one after another. */
  public static Duration worstCaseRevert(List<Change> changes, List<String> unbounded) {
    Duration total = Duration.ZERO;
    for (Change c : changes) {
      Optional<Duration> w = worstCase(c.revert());
      if (w.isEmpty()) unbounded.add(c.name() + "/revert");
      else total = total.plus(w.get());
    }
    return total;
  }

  /**
   * The violations, one per trigger that does not fit: "trigger 'x': worst-case detection 30.6 s
   * (formula) + evaluation interval 250 ms + the steps' 4 min 45 s = 5 min 16 s, 16 s over the budget of 5 min".
   */
  public static List<String> check(String path, Duration budget, List<Trigger> triggers, Duration evaluationInterval,
      Duration steps, String stepsWhat) {
    List<String> out = new ArrayList<>();
    for (Trigger t : triggers) {
      Duration d = t.worstCaseDetection();
      Duration total = d.plus(evaluationInterval).plus(steps);
      if (total.compareTo(budget) > 0) {
        out.add(path + " › trigger '" + t.name() + "': worst-case detection " + human(d) + " (" + t.detectionFormula() + ")"
            + (evaluationInterval.isZero() ? "" : " + evaluation interval " + human(evaluationInterval))
            + " + " + stepsWhat + " " + human(steps) + " = " + human(total) + ", " + human(total.minus(budget))
            + " over the budget of " + human(budget));
      }
    }
    return out;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
