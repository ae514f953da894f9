package dev.rollback.jdbc.internal;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/** Everything the runner was configured with. */
public record Settings(
    DataSource dataSource,
    List<LoadedMigration> migrations,
    HistoryTable.Kind historyKind,
    String archiveSchema,
    Duration lockTimeout,
    Duration statementTimeout,
    int retries,
    Duration backoff,
    Duration lockWait,
    int batchSize,
    int restoreConnections,
    Map<String, List<String>> verifiedTables,
    boolean allowChecksumMismatch,
    boolean acceptUnarchivedLoss,
    @Nullable Duration retention,
    String actor,
    Clock clock,
    boolean keepDroppedColumnsInPlace,
    long rebuildAbove) {
  public Settings {
    migrations = List.copyOf(migrations);
    verifiedTables = Map.copyOf(verifiedTables);
  }
}
