package dev.rollback.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;
import java.util.Set;

/** What differs between the databases we run on: transactional DDL, locking, timeouts. */
public enum Dialect {
  /**
   * PostgreSQL: DDL is transactional; session advisory locks; lock_timeout and statement_timeout.
   * Restores on two connections unless told otherwise, as the server itself gives a query or an
   * index build two parallel workers by default.
   */
  POSTGRES(true, 2),
  /** H2 (and anything else): DDL commits; a row lock in a lock table; LOCK_TIMEOUT and query timeouts. */
  H2(false, 1);

  private final boolean transactionalDdl;
  private final int restoreConnections;

  Dialect(boolean transactionalDdl, int restoreConnections) {
    this.transactionalDdl = transactionalDdl;
    this.restoreConnections = restoreConnections;
  }

  /** Connections a restore uses when the user did not choose ({@code withRestoreConnections}). */
  public int defaultRestoreConnections() {
    return restoreConnections;
  }

  public boolean transactionalDdl() {
    return transactionalDdl;
  }

  public static Dialect of(Connection c) throws SQLException {
    String product = c.getMetaData().getDatabaseProductName().toLowerCase(Locale.ROOT);
    return product.contains("postgres") ? POSTGRES : H2;
  }

  private static final Set<String> RETRYABLE = Set.of(
      "55P03", // PG lock_not_available (lock_timeout)
      "57014", // PG query_canceled (statement_timeout), also H2 statement canceled
      "40P01", // PG deadlock
      "40001", // serialization failure, H2 deadlock
      "HYT00"  // H2 lock timeout
  );

  /** A lock or statement timeout, a deadlock: worth a retry after a backoff. */
  public static boolean retryable(SQLException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s) {
        if (s.getSQLState() != null && RETRYABLE.contains(s.getSQLState())) return true;
        if (s.getErrorCode() == 50200) return true; // H2 LOCK_TIMEOUT_1
      }
    }
    return false;
  }
}
