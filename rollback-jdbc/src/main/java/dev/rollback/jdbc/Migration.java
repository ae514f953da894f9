package dev.rollback.jdbc;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A migration the runner knows: its version, the script that applies it, the script that reverts
 * it (absent for an irreversible one), and the checksum of the apply script (CRC32 over its lines,
 * as Flyway computes it, so a Flyway history row and ours agree).
 */
public record Migration(String version, String description, String script, @Nullable String undoScript, int checksum) {
  public Migration {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(script, "script");
  }

  public boolean isReversible() {
    return undoScript != null;
  }

  public Optional<String> undo() {
    return Optional.ofNullable(undoScript);
  }
}
