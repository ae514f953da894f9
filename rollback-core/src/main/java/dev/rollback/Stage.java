package dev.rollback;

import java.util.List;
import java.util.Objects;

/** A named group of steps of a {@link RollbackPlan}, run one after another or in parallel. */
public record Stage(String name, boolean parallel, List<Step> steps) {
  public Stage {
    Objects.requireNonNull(name, "stage name");
    steps = List.copyOf(steps);
  }
}
