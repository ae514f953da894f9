package dev.rollback.jdbc;

import java.util.List;

/** A dry run: the exact SQL a migration or rollback would execute, in order, and notes for a human. */
public record SqlPlan(String description, List<PlannedStatement> statements, List<String> notes) {
  public SqlPlan {
    statements = List.copyOf(statements);
    notes = List.copyOf(notes);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("-- ").append(description).append('\n');
    for (String n : notes) sb.append("-- note: ").append(n).append('\n');
    int i = 0;
    for (PlannedStatement s : statements) {
      sb.append("-- ").append(++i).append(". V").append(s.version()).append(" — ").append(s.origin()).append('\n');
      sb.append(s.sql()).append(";\n");
    }
    return sb.toString();
  }
}
