package dev.rollback.jdbc;

import java.sql.Connection;

/** Work on a connection, for Java migrations. The runner owns the transaction: do not commit. */
@FunctionalInterface
public interface ConnectionWork {
  void run(Connection connection) throws Exception;
}
