package dev.rollback.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.SQLTransientConnectionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A data source that lends at most {@code max} connections at a time, like a small pool: beyond
 * that it blocks until one is closed (with no timeout, so only an interrupt ends the wait), or it
 * refuses at once, as a pool whose timeout ran out does.
 */
final class LimitedDataSource implements DataSource {
  private final DataSource target;
  private final Semaphore permits;
  private final boolean blocks;

  private LimitedDataSource(DataSource target, int max, boolean blocks) {
    this.target = target;
    this.permits = new Semaphore(max);
    this.blocks = blocks;
  }

  static DataSource of(DataSource target, int max, boolean blocks) {
    return new LimitedDataSource(target, max, blocks);
  }

  @Override
  public Connection getConnection() throws SQLException {
    if (blocks) {
      try {
        permits.acquire();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLTransientConnectionException("interrupted while waiting for a connection", e);
      }
    } else if (!permits.tryAcquire()) {
      throw new SQLTransientConnectionException("pool exhausted: every connection is in use");
    }
    Connection real;
    try {
      real = target.getConnection();
    } catch (SQLException | RuntimeException e) {
      permits.release();
      throw e;
    }
    AtomicBoolean closed = new AtomicBoolean();
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
      if (m.getName().equals("close") && closed.compareAndSet(false, true)) permits.release();
      try {
        return m.invoke(real, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
    });
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("LimitedDataSource lends its target's default connections only");
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return target.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    target.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    target.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return target.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return target.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return target.unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return target.isWrapperFor(iface);
  }
}
