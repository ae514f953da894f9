package dev.rollback.detect;

import static dev.rollback.internal.Durations.human;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The time-budget check of a plan or release with triggers: for each trigger, its worst-case
 * detection (plus the evaluation interval) and the worst-case time of the steps it sets off
 * ({@code dev.rollback.WorstCase}) must fit the declared budget.
 */
public final class DetectionBudget {
  private DetectionBudget() {}

  /**
   * The violations, one per trigger that does not fit: "trigger 'x': worst-case detection 30.6 s
   * (formula) + evaluation interval 250 ms + the steps' 4 min 45 s = 5 min 16 s, 16 s over the budget of 5 min".
   */
  public static List<String> violations(String path, Duration budget, List<Trigger> triggers, Duration evaluationInterval,
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
}
