package dev.rollback;

import java.util.List;

/** Resume refused: the plan differs from the one the run started with. Lists the differences. */
public final class PlanChangedException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final List<String> differences;

  public PlanChangedException(String runId, String plan, List<String> differences) {
    super("run " + runId + " of plan '" + plan + "' started with a different plan; resume refused. Differences:\n  "
        + String.join("\n  ", differences) + "\nResume with ResumeOptions.force() to continue with the new plan anyway.");
    this.differences = List.copyOf(differences);
  }

  public List<String> differences() {
    return differences;
  }
}
