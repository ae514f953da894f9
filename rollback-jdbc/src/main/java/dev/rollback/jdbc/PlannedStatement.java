package dev.rollback.jdbc;

import java.util.Objects;

/** One statement a migration or rollback would execute, with where it comes from. */
public record PlannedStatement(String version, String origin, String sql) {
  public PlannedStatement {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(origin, "origin");
    Objects.requireNonNull(sql, "sql");
  }
}
