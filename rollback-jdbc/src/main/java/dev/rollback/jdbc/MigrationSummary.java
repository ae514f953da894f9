package dev.rollback.jdbc;

import java.time.Duration;
import java.util.List;

/** What a forward migration did: the versions applied in order and the rows archived before destructive statements. */
public record MigrationSummary(String fromVersion, String toVersion, List<String> applied, long rowsArchived, Duration elapsed) {
  public MigrationSummary {
    applied = List.copyOf(applied);
  }
}
