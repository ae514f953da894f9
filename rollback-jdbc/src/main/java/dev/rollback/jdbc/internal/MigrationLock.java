package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.MigrationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.zip.CRC32;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes one runner migrate at a time. On PostgreSQL a session advisory lock
 * ({@code pg_try_advisory_lock}) on a dedicated connection: the server releases it when the
 * connection dies, so a crashed runner never leaves a stale lock (Liquibase's row flag does). On
 * other databases a row lock ({@code SELECT … FOR UPDATE}) held by an open transaction on a
 * dedicated connection, with the same property. Waits with a backoff up to {@code wait}.
 */
public final class MigrationLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MigrationLock.class);

  private final Connection connection;
  private final Dialect dialect;
  private final long key;

  private MigrationLock(Connection connection, Dialect dialect, long key) {
    this.connection = connection;
    this.dialect = dialect;
    this.key = key;
  }

  public static long keyOf(String name) {
    CRC32 crc = new CRC32();
    crc.update(("rollback-jdbc:" + name).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    return 0x526F6C6CL << 32 | crc.getValue(); // "Roll" + crc
  }

  public static MigrationLock acquire(DataSource ds, Archive archive, String name, Duration wait) {
    long key = keyOf(name);
    Connection c = null;
    try {
      c = ds.getConnection();
      Dialect d = Dialect.of(c);
      long deadline = System.nanoTime() + wait.toNanos();
      long sleep = 20;
      if (d == Dialect.POSTGRES) {
        while (true) {
          try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
            ps.setLong(1, key);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              if (rs.getBoolean(1)) return new MigrationLock(c, d, key);
            }
          }
          if (System.nanoTime() > deadline) {
            throw new MigrationException("another runner holds the migration lock of " + name + " (" + holder(c, key)
                + "); waited " + wait + ". It is released when that runner finishes or its connection ends");
          }
          log.debug("migration lock of {} is held; waiting {} ms", name, sleep);
          Waits.pause(Duration.ofMillis(sleep));
          sleep = Math.min(sleep * 2, 500);
        }
      }
      archive.create(c);
      String lockTable = archive.table("lock");
      try (Statement st = c.createStatement()) {
        st.execute("CREATE TABLE IF NOT EXISTS " + lockTable + " (\"id\" INT NOT NULL PRIMARY KEY, \"holder\" VARCHAR(200))");
        try {
          st.execute("INSERT INTO " + lockTable + " VALUES (1, NULL)");
        } catch (SQLException dup) {
          // another runner created the row first
        }
      }
      c.setAutoCommit(false);
      while (true) {
        try (Statement st = c.createStatement()) {
          st.execute("SET LOCK_TIMEOUT 200");
          st.executeQuery("SELECT \"id\" FROM " + lockTable + " WHERE \"id\" = 1 FOR UPDATE").close();
          return new MigrationLock(c, d, key);
        } catch (SQLException e) {
          if (!Dialect.retryable(e)) throw e;
          c.rollback();
          if (System.nanoTime() > deadline) {
            throw new MigrationException("another runner holds the migration lock of " + name + " (row lock on " + lockTable
                + "); waited " + wait);
          }
          Waits.pause(Duration.ofMillis(sleep));
          sleep = Math.min(sleep * 2, 500);
        }
      }
    } catch (SQLException e) {
      close(c);
      throw new MigrationException("cannot take the migration lock of " + name + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      close(c);
      Thread.currentThread().interrupt();
      throw new MigrationException("interrupted while waiting for the migration lock of " + name, e);
    } catch (RuntimeException e) {
      close(c);
      throw e;
    }
  }

  private static String holder(Connection c, long key) {
    try (PreparedStatement ps = c.prepareStatement("SELECT l.pid, a.backend_start, a.client_addr FROM pg_locks l "
        + "LEFT JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
        + "AND (l.classid::bigint << 32 | l.objid::bigint) = ?")) {
      ps.setLong(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) return "held by backend pid " + rs.getInt(1) + " connected since " + rs.getTimestamp(2);
      }
    } catch (SQLException e) {
      return "holder unknown: " + e.getMessage();
    }
    return "holder unknown";
  }

  private static void close(Connection c) {
    if (c == null) return;
    try {
      c.close();
    } catch (SQLException ignored) {
      // the server releases the lock with the connection
    }
  }

  @Override
  public void close() {
    try {
      if (dialect == Dialect.POSTGRES) {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
          ps.setLong(1, key);
          ps.execute();
        }
      } else {
        connection.rollback();
      }
    } catch (SQLException e) {
      log.warn("releasing the migration lock failed ({}); closing its connection releases it", e.getMessage());
    } finally {
      close(connection);
    }
  }
}
