package dev.rollback.jdbc.pitr;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The writes a whole-cluster restore would lose: per table (database.schema.table), the rows
 * inserted, updated and deleted in the live cluster since the recovery target, found by comparing
 * every table of every database with the recovered copy, and the file (JSON lines) holding those
 * live rows (and the recovered version of rows deleted since).
 */
public record LostWrites(Map<String, Counts> tables, @Nullable Path exportFile) {
  public LostWrites {
    tables = Map.copyOf(new java.util.TreeMap<>(tables));
  }

  /** Rows of one table changed since the target. */
  public record Counts(long inserted, long updated, long deleted) {
    public long total() {
      return inserted + updated + deleted;
    }

    @Override
    public String toString() {
      return inserted + " inserted, " + updated + " updated, " + deleted + " deleted";
    }
  }

  public long total() {
    return tables.values().stream().mapToLong(Counts::total).sum();
  }

  public Optional<Path> export() {
    return Optional.ofNullable(exportFile);
  }

  /** E.g. {@code app.public.orders: 2 inserted, 3 updated, 0 deleted; app.public.customers: …}; tables without loss are left out. */
  public String describe() {
    List<String> parts = tables.entrySet().stream().filter(e -> e.getValue().total() > 0)
        .map(e -> e.getKey() + ": " + e.getValue()).toList();
    if (parts.isEmpty()) return "no write since the target";
    return total() + " rows written since the target: " + String.join("; ", parts)
        + (exportFile == null ? "" : " (exported to " + exportFile + ")");
  }

  /** Same tables with the same counts (the export file aside). */
  boolean sameCounts(LostWrites other) {
    Objects.requireNonNull(other, "other");
    return tables.equals(other.tables);
  }
}
