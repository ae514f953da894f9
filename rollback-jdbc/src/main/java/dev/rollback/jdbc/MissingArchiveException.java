package dev.rollback.jdbc;

/**
 * A rollback would need data that a destructive statement removed, but its archive is missing
 * (never taken, dropped by hand, or expired by retention). The step stops for a human instead of
 * restoring the schema without the data.
 */
public final class MissingArchiveException extends MigrationException {
  private static final long serialVersionUID = 1L;

  public MissingArchiveException(String message) {
    super(message);
  }
}
