package dev.rollback.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import javax.sql.DataSource;

/** PostgreSQL sessions as the fault tests see them: whose backend, who waits, killing the others. */
final class PgSessions {
  private PgSessions() {}

  /** The backend process id of {@code c}. */
  static int pid(Connection c) throws Exception {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Whether a session of this database running a statement that starts with {@code verb} waits on a lock. */
  static boolean waitingOnLock(DataSource ds, String verb) throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            + " AND query LIKE '" + verb + "%'")) {
      rs.next();
      return rs.getInt(1) > 0;
    }
  }

  /** Terminates every other session of this database but {@code spare}'s; returns how many. */
  static int terminateOthers(DataSource ds, int spare) throws Exception {
    try (Connection c = ds.getConnection(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND pid <> pg_backend_pid() AND pid <> " + spare)) {
      rs.next();
      return rs.getInt(1);
    }
  }
}
