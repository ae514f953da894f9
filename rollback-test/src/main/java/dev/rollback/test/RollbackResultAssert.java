package dev.rollback.test;

import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/** Assertions on a {@link RollbackResult}; every failure message names the plan, the run and the step. */
public final class RollbackResultAssert extends AbstractAssert<RollbackResultAssert, RollbackResult> {

  RollbackResultAssert(RollbackResult actual) {
    super(actual, RollbackResultAssert.class);
  }

  public RollbackResultAssert hasOutcome(RunOutcome expected) {
    isNotNull();
    if (actual.outcome() != expected) {
      failWithMessage("Expected plan '%s' run %s to end %s but it ended %s: %s", actual.plan(), actual.runId(), expected,
          actual.outcome(), actual.summary());
    }
    return this;
  }

  public RollbackResultAssert isRecovered() {
    return hasOutcome(RunOutcome.RECOVERED);
  }

  public RollbackResultAssert isReleased() {
    return hasOutcome(RunOutcome.RELEASED);
  }

  public RollbackResultAssert isHalted() {
    return hasOutcome(RunOutcome.HALTED);
  }

  public RollbackResultAssert hasStepSucceeded(String path) {
    StepOutcome o = step(path);
    if (!o.isDone()) failWithMessage("Expected step '%s' of plan '%s' to have succeeded but it is %s", path, actual.plan(), o);
    return this;
  }

  public RollbackResultAssert hasStepFailed(String path) {
    StepOutcome o = step(path);
    if (!(o instanceof StepOutcome.Failed)) failWithMessage("Expected step '%s' of plan '%s' to have failed but it is %s", path, actual.plan(), o);
    return this;
  }

  public RollbackResultAssert hasStepNotRun(String path) {
    StepOutcome o = step(path);
    if (!(o instanceof StepOutcome.NotRun)) failWithMessage("Expected step '%s' of plan '%s' not to have run but it is %s", path, actual.plan(), o);
    return this;
  }

  /** Release mode: the changes whose apply started were reverted, and in reverse order of applying. */
  public RollbackResultAssert hasRevertedInReverseOrder(String... changes) {
    isNotNull();
    List<String> reverted = new ArrayList<>();
    for (String path : actual.steps().keySet()) {
      if (path.endsWith("/revert") && actual.steps().get(path).isDone()) reverted.add(path.substring(0, path.length() - "/revert".length()));
    }
    if (!reverted.equals(List.of(changes))) {
      failWithMessage("Expected release '%s' to have reverted %s in this order, but it reverted %s", actual.plan(), List.of(changes), reverted);
    }
    return this;
  }

  /** The run took at most {@code budget} (on the engine's clock: virtual time in a {@link Simulation}). */
  public RollbackResultAssert finishedWithin(Duration budget) {
    isNotNull();
    if (actual.elapsed().compareTo(budget) > 0) {
      failWithMessage("Expected plan '%s' to finish within %s but it took %s (%s over)", actual.plan(), budget, actual.elapsed(),
          actual.elapsed().minus(budget));
    }
    return this;
  }

  private StepOutcome step(String path) {
    isNotNull();
    StepOutcome o = actual.steps().get(path);
    if (o == null) failWithMessage("Plan '%s' has no step '%s'; its steps are %s", actual.plan(), path, actual.steps().keySet());
    return o;
  }
}
