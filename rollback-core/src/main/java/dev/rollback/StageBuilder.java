package dev.rollback;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** Adds steps to a stage of a {@link RollbackPlan}: {@code s -> s.step(a).step(b)}. */
public final class StageBuilder {
  final List<Step> steps = new ArrayList<>();

  StageBuilder() {}

  public StageBuilder step(Step step) {
    steps.add(Objects.requireNonNull(step, "step"));
    return this;
  }

  /** A step from a lambda; shorthand for {@code step(Step.of(name, action))}. */
  public StageBuilder step(String name, StepAction action) {
    return step(Step.of(name, action));
  }
}
