package dev.rollback.jdbc;

/**
 * An applied migration's script changed since it was applied. Refused unless the runner was
 * built with {@link Migrations.Builder#allowingChecksumMismatch()}.
 */
public final class ChecksumMismatchException extends MigrationException {
  private static final long serialVersionUID = 1L;

  public ChecksumMismatchException(String message) {
    super(message);
  }
}
