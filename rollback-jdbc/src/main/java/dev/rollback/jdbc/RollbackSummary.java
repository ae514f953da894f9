package dev.rollback.jdbc;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What a database rollback did: the versions it undid (newest first), the rows it put back from
 * the archive, and the verification result ("passed: orders, customers", "not requested", or
 * "failed: …" with the evidence). The rollback is committed whatever the verification found: a
 * failed verification is {@link #verified() false} with {@link #mismatches() the evidence}, not
 * an exception.
 *
 * @param mismatches restored values that differ from before the change (at most a few samples per
 *     table and column; {@link #verification()} gives the counts)
 */
public record RollbackSummary(String fromVersion, String toVersion, List<String> undone, long rowsRestored,
    String verification, Duration elapsed, List<Mismatch> mismatches) {
  public RollbackSummary {
    undone = List.copyOf(undone);
    mismatches = List.copyOf(mismatches);
  }

  public RollbackSummary(String fromVersion, String toVersion, List<String> undone, long rowsRestored, String verification,
      Duration elapsed) {
    this(fromVersion, toVersion, undone, rowsRestored, verification, elapsed, List.of());
  }

  /** False when the verification found restored data that differs from before the change. */
  public boolean verified() {
    return mismatches.isEmpty();
  }

  /**
   * One restored value that is not what the table held before the change: in {@code table}, the
   * row with primary key {@code key} ("id=2"), column {@code column} ({@code "(row)"} for a row
   * the rollback should have put back and did not, {@code "(table)"} for a table that exists when
   * it did not before or the reverse, {@code "(table fingerprint)"} for a table without a primary
   * key, compared whole).
   *
   * @param before the value before the change, as text ({@code null} for SQL NULL)
   * @param after the value after the rollback, as text ({@code null} for SQL NULL)
   */
  public record Mismatch(String table, String column, String key, @Nullable String before, @Nullable String after) {
    public Mismatch {
      Objects.requireNonNull(table, "table");
      Objects.requireNonNull(column, "column");
      Objects.requireNonNull(key, "key");
    }

    public String summary() {
      return table + "." + column + " at " + key + ": before the change " + (before == null ? "NULL" : before)
          + ", after the rollback " + (after == null ? "NULL" : after);
    }
  }
}
