package dev.rollback;

import java.util.List;

/** A plan or release that cannot be built; {@link #violations()} lists every problem with its path. */
public final class PlanValidationException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final String plan;
  private final List<String> violations;

  public PlanValidationException(String plan, List<String> violations) {
    super("plan '" + plan + "' is invalid (" + violations.size() + " problem" + (violations.size() == 1 ? "" : "s")
        + "):\n  - " + String.join("\n  - ", violations));
    this.plan = plan;
    this.violations = List.copyOf(violations);
  }

  public String plan() { return plan; }
  public List<String> violations() { return violations; }
}
