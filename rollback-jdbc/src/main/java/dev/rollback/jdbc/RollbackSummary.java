package dev.rollback.jdbc;

import java.time.Duration;
import java.util.List;

/**
 * What a database rollback did: the versions it undid (newest first), the rows it put back from
 * the archive, and the verification result ("passed: orders, customers", "not requested").
 */
public record RollbackSummary(String fromVersion, String toVersion, List<String> undone, long rowsRestored,
    String verification, Duration elapsed) {
  public RollbackSummary {
    undone = List.copyOf(undone);
  }
}
