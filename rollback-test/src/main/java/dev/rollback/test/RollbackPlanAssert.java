package dev.rollback.test;

import dev.rollback.RollbackPlan;
import dev.rollback.Stage;
import dev.rollback.Step;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/** Assertions on the shape of a {@link RollbackPlan}, checked without running it. */
public final class RollbackPlanAssert extends AbstractAssert<RollbackPlanAssert, RollbackPlan> {

  RollbackPlanAssert(RollbackPlan actual) {
    super(actual, RollbackPlanAssert.class);
  }

  public RollbackPlanAssert everyStepHasAnUndo() {
    List<String> missing = paths(s -> !s.hasUndo());
    if (!missing.isEmpty()) failWithMessage("Expected every step of plan '%s' to have an undo, but these have none: %s", actual.name(), missing);
    return this;
  }

  public RollbackPlanAssert everyStepHasATimeout() {
    List<String> missing = paths(s -> s.timeout().isEmpty());
    if (!missing.isEmpty()) failWithMessage("Expected every step of plan '%s' to have a timeout, but these have none: %s", actual.name(), missing);
    return this;
  }

  /** Every step can be run again safely after a crash: idempotent or reconcilable. */
  public RollbackPlanAssert everyStepIsSafeToResume() {
    List<String> unsafe = paths(s -> !s.isIdempotent() && s.reconciler().isEmpty());
    if (!unsafe.isEmpty()) {
      failWithMessage("Expected every step of plan '%s' to be idempotent or reconcilable, but a crash inside these would need a human: %s",
          actual.name(), unsafe);
    }
    return this;
  }

  /**
   * The worst case — every step using all its attempts up to its timeout plus the retry delays,
   * parallel stages counting their slowest step — fits the plan's budget.
   */
  public RollbackPlanAssert fitsItsBudget() {
    isNotNull();
    if (actual.budget().isEmpty()) failWithMessage("Plan '%s' has no budget", actual.name());
    everyStepHasATimeout();
    Duration worst = worstCase(actual);
    if (worst.compareTo(actual.budget().get()) > 0) {
      failWithMessage("Expected plan '%s' to fit its budget of %s, but its worst case is %s (%s over)", actual.name(),
          actual.budget().get(), worst, worst.minus(actual.budget().get()));
    }
    return this;
  }

  public RollbackPlanAssert hasStagesInOrder(String... names) {
    isNotNull();
    List<String> actualNames = actual.stages().stream().map(Stage::name).toList();
    if (!actualNames.equals(List.of(names))) failWithMessage("Expected plan '%s' to have stages %s but it has %s", actual.name(), List.of(names), actualNames);
    return this;
  }

  static Duration worstCase(RollbackPlan plan) {
    Duration total = Duration.ZERO;
    for (Stage stage : plan.stages()) {
      Duration stageWorst = Duration.ZERO;
      for (Step s : stage.steps()) {
        Duration step = s.timeout().orElse(Duration.ZERO).multipliedBy(s.retry().maxAttempts()).plus(s.retry().worstCaseDelay());
        stageWorst = stage.parallel() ? max(stageWorst, step) : stageWorst.plus(step);
      }
      total = total.plus(stageWorst);
    }
    return total;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private List<String> paths(java.util.function.Predicate<Step> bad) {
    isNotNull();
    List<String> out = new ArrayList<>();
    for (Stage st : actual.stages()) for (Step s : st.steps()) if (bad.test(s)) out.add(st.name() + "/" + s.name());
    return out;
  }
}
