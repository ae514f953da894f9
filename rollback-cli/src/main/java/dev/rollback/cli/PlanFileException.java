package dev.rollback.cli;

import dev.rollback.RollbackException;
import java.util.List;

/** A plan file that cannot be loaded, with every {@link Problem} found in it (not only the first). */
public final class PlanFileException extends RollbackException {
  private static final long serialVersionUID = 1L;
  private final transient List<Problem> problems;

  public PlanFileException(List<Problem> problems) {
    super(message(problems));
    this.problems = List.copyOf(problems);
  }

  public List<Problem> problems() {
    return problems;
  }

  private static String message(List<Problem> problems) {
    StringBuilder b = new StringBuilder(problems.size() == 1 ? "1 problem" : problems.size() + " problems");
    b.append(" in ").append(problems.isEmpty() ? "the plan file" : problems.get(0).file()).append(':');
    for (Problem p : problems) b.append("\n  ").append(p);
    return b.toString();
  }
}
