package dev.rollback.jdbc.internal;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * What a migration or rollback checks before it writes, when it runs under a lease: {@link #check}
 * before each statement (a volatile read), and {@link #beforeCommit} in each transaction right
 * before it commits (the lease row, locked, when the lease lives in the same database). Both throw
 * {@code dev.rollback.LeaseLostException} when the lease is no longer held.
 */
public interface Fence {
  /** No lease: nothing to check. */
  Fence NONE = new Fence() {
    @Override public void check() { }
    @Override public void beforeCommit(Connection c) { }
  };

  void check();

  void beforeCommit(Connection c) throws SQLException;
}
