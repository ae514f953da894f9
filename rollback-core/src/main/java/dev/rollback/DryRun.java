package dev.rollback;

import java.util.List;

/**
 * What a run would do, in order, without doing any of it: each action's path, the sentence from
 * {@link Step#describe()}, and what guards it (approval gate, timeout, retries, undo).
 */
public record DryRun(String plan, RunMode mode, List<Action> actions) {
  public DryRun {
    actions = List.copyOf(actions);
  }

  /** One planned action. {@code parallelGroup} is non-empty for steps that run at the same time. */
  public record Action(int order, String path, String description, String parallelGroup, String safeguards) {}

  /** Numbered lines, one per action. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Dry run of " + mode.name().toLowerCase() + " '" + plan + "':\n");
    for (Action a : actions) {
      sb.append(String.format("%3d. %s — %s", a.order(), a.path(), a.description()));
      if (!a.parallelGroup().isEmpty()) sb.append(" [parallel: ").append(a.parallelGroup()).append(']');
      if (!a.safeguards().isEmpty()) sb.append(" (").append(a.safeguards()).append(')');
      sb.append('\n');
    }
    return sb.toString();
  }
}
