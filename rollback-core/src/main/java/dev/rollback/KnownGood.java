package dev.rollback;

import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import java.util.Map;
import java.util.Optional;

/**
 * The known-good state captured (and journaled) for a run before anything changed, by step path.
 * Obtained from {@link RollbackEngine#captureKnownGood}; passed to the run via {@link RunOptions#withKnownGood}.
 */
public record KnownGood(String runId, Map<String, Snapshot> snapshots) {
  public KnownGood {
    snapshots = Map.copyOf(snapshots);
  }

  public Optional<Snapshot> of(String stepPath) {
    return Optional.ofNullable(snapshots.get(stepPath));
  }
}
