package dev.rollback.jdbc;

import dev.rollback.RollbackException;

/**
 * A migration or its rollback could not run: a malformed script (named with file and line), a
 * plan that would reverse an irreversible migration, a checksum mismatch, a lock not obtained.
 * The message names the migration, the script and what to do.
 */
public class MigrationException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public MigrationException(String message) {
    super(message);
  }

  public MigrationException(String message, Throwable cause) {
    super(message, cause);
  }
}
