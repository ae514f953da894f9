package dev.rollback.jdbc.pitr;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * A plain-format base backup under the backups directory, as {@code pg_basebackup -Fp} left it
 * (read from its {@code backup_label}).
 *
 * @param startLsn where recovery from it starts ({@code START WAL LOCATION})
 * @param bytes the size of its files
 */
public record BaseBackup(Path directory, String startLsn, int timeline, Instant startTime, long bytes) {
  public BaseBackup {
    Objects.requireNonNull(directory, "directory");
    Objects.requireNonNull(startLsn, "startLsn");
    Objects.requireNonNull(startTime, "startTime");
  }

  public String name() {
    return directory.getFileName().toString();
  }
}
