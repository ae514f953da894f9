package dev.rollback.jdbc;

import java.util.List;

/**
 * After a rollback, a table's fingerprint differs from the one taken before the change.
 *
 * @deprecated no longer thrown: a committed rollback whose verification finds differences returns
 *     a {@link RollbackSummary} that is not {@link RollbackSummary#verified() verified}, with the
 *     evidence in {@link RollbackSummary#mismatches()}; in a plan, {@link Migrations#verification()}
 *     makes the run NOT_RECOVERED.
 */
@Deprecated
public final class FingerprintMismatchException extends MigrationException {
  private static final long serialVersionUID = 1L;
  private final transient List<Fingerprint.Difference> differences;

  public FingerprintMismatchException(String message, List<Fingerprint.Difference> differences) {
    super(message);
    this.differences = List.copyOf(differences);
  }

  /** One entry per table that differs. */
  public List<Fingerprint.Difference> differences() {
    return differences;
  }
}
