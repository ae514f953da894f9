package dev.rollback.jdbc;

import dev.rollback.LeaseLostException;
import dev.rollback.RollbackException;
import dev.rollback.StepLease;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * A lease in one table row per name, with a fencing token that grows with every grant. Acquire,
 * renew and release lock the row ({@code SELECT … FOR UPDATE}) in a transaction, so two replicas
 * never both hold it. Expiry is judged by the injected clock: replicas should run NTP-synced
 * clocks, and the TTL should be well above their skew. The token goes into every journal append
 * ({@code RunOptions.withFencingToken}), so a replica that lost the lease cannot write.
 *
 * <p>Fencing in the database: {@link #checkHeld} locks the lease row in the caller's transaction
 * and refuses when another grant holds it, so a write checked this way commits only while the
 * lease is held (a takeover waits for the row lock). {@code Migrations} does it in every
 * transaction of a migration or rollback when its step runs under a lease of this table in the
 * same database.
 */
public final class JdbcLease implements Lease {
  private final DataSource dataSource;
  private final String table;
  private final Clock clock;
  private volatile boolean created;

  private JdbcLease(DataSource dataSource, String table, Clock clock) {
    this.dataSource = dataSource;
    this.table = "\"" + table + "\"";
    this.clock = clock;
  }

  /** A lease table {@code rollback_lease}, created if missing, on the system clock. */
  public static JdbcLease of(DataSource dataSource) {
    return new JdbcLease(Objects.requireNonNull(dataSource, "dataSource"), "rollback_lease", Clock.systemUTC());
  }

  public JdbcLease withClock(Clock clock) {
    return new JdbcLease(dataSource, table.substring(1, table.length() - 1), Objects.requireNonNull(clock, "clock"));
  }

  @Override
  public Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    requirePositive(ttl);
    return inTransaction("acquire lease " + name + " for " + holder, c -> {
      Instant now = clock.instant();
      Row row = lock(c, name);
      if (row == null) {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?, ?, ?)")) {
          ps.setString(1, name);
          ps.setString(2, holder);
          ps.setLong(3, 1);
          ps.setTimestamp(4, Timestamp.from(now.plus(ttl)));
          ps.executeUpdate();
        }
        return Optional.of(new LeaseGrant(name, holder, 1, now.plus(ttl)));
      }
      boolean free = row.holder.isEmpty() || !now.isBefore(row.expiresAt);
      if (!free && !row.holder.equals(holder)) return Optional.empty();
      // the same holder asking again keeps its token (as Leases.inMemory() does); a new holder gets a higher one
      long token = free ? row.token + 1 : row.token;
      update(c, name, holder, token, now.plus(ttl));
      return Optional.of(new LeaseGrant(name, holder, token, now.plus(ttl)));
    });
  }

  @Override
  public Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
    Objects.requireNonNull(grant, "grant");
    requirePositive(ttl);
    return inTransaction("renew lease " + grant.name() + " for " + grant.holder(), c -> {
      Instant now = clock.instant();
      Row row = lock(c, grant.name());
      // an expired grant nobody took over may still be renewed; once taken over, the token differs
      if (row == null || row.token != grant.fencingToken() || !row.holder.equals(grant.holder())) {
        return Optional.empty();
      }
      update(c, grant.name(), grant.holder(), grant.fencingToken(), now.plus(ttl));
      return Optional.of(new LeaseGrant(grant.name(), grant.holder(), grant.fencingToken(), now.plus(ttl)));
    });
  }

  @Override
  public void release(LeaseGrant grant) {
    Objects.requireNonNull(grant, "grant");
    inTransaction("release lease " + grant.name() + " of " + grant.holder(), c -> {
      Row row = lock(c, grant.name());
      if (row != null && row.token == grant.fencingToken() && row.holder.equals(grant.holder())) {
        update(c, grant.name(), "", row.token, Instant.EPOCH); // the token stays, so the next grant is higher
      }
      return Optional.empty();
    });
  }

  /**
   * In the caller's transaction on {@code c}: locks the row of {@code lease} ({@code SELECT … FOR
   * UPDATE}) and throws {@link LeaseLostException} unless it still shows {@code lease}'s holder and
   * fencing token. Call it right before the commit of a write that must only happen under the
   * lease: a replica taking the lease over waits for this transaction, and one that took it over
   * already makes it fail. An expired grant nobody took over still passes (nobody else acted).
   */
  public void checkHeld(Connection c, StepLease lease) throws SQLException {
    Objects.requireNonNull(c, "connection");
    Objects.requireNonNull(lease, "lease");
    lease.check();
    if (!lease.isPresent()) return;
    Row row = lock(c, lease.name());
    if (row == null || row.token != lease.token() || !row.holder.equals(lease.holder())) {
      throw new LeaseLostException(lease, "the lease row in " + table + (row == null ? " is gone"
          : " shows fencing token " + row.token + (row.holder.isEmpty() ? ", released" : " held by " + row.holder))
          + "; the transaction was rolled back");
    }
  }

  /**
   * Whether this lease's table lives in the database of {@code other}: the same data source, or
   * one whose connections report the same URL and user.
   */
  public boolean isIn(DataSource other) {
    Objects.requireNonNull(other, "other");
    if (other == dataSource) return true;
    try (Connection a = dataSource.getConnection(); Connection b = other.getConnection()) {
      return a.getMetaData().getURL().equals(b.getMetaData().getURL())
          && Objects.equals(a.getMetaData().getUserName(), b.getMetaData().getUserName());
    } catch (SQLException e) {
      return false;
    }
  }

  private record Row(String holder, long token, Instant expiresAt) {}

  private Row lock(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT \"holder\", \"token\", \"expires_at\" FROM " + table + " WHERE \"name\" = ? FOR UPDATE")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Row(rs.getString(1), rs.getLong(2), rs.getTimestamp(3).toInstant()) : null;
      }
    }
  }

  private void update(Connection c, String name, String holder, long token, Instant expires) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET \"holder\" = ?, \"token\" = ?, \"expires_at\" = ? WHERE \"name\" = ?")) {
      ps.setString(1, holder);
      ps.setLong(2, token);
      ps.setTimestamp(3, Timestamp.from(expires));
      ps.setString(4, name);
      ps.executeUpdate();
    }
  }

  private interface Work {
    Optional<LeaseGrant> run(Connection c) throws SQLException;
  }

  private Optional<LeaseGrant> inTransaction(String what, Work work) {
    try (Connection c = dataSource.getConnection()) {
      c.setAutoCommit(true);
      if (!created) {
        try (Statement st = c.createStatement()) {
          st.execute("CREATE TABLE IF NOT EXISTS " + table + " (\"name\" VARCHAR(200) NOT NULL PRIMARY KEY, \"holder\" VARCHAR(200) NOT NULL,"
              + " \"token\" BIGINT NOT NULL, \"expires_at\" TIMESTAMP NOT NULL)");
        }
        created = true;
      }
      for (int attempt = 1; ; attempt++) {
        c.setAutoCommit(false);
        try {
          Optional<LeaseGrant> r = work.run(c);
          c.commit();
          return r;
        } catch (SQLException e) {
          c.rollback();
          // two replicas inserting the first row at once: the loser retries and sees the winner's grant
          if (attempt >= 3) throw e;
        } finally {
          c.setAutoCommit(true);
        }
      }
    } catch (SQLException e) {
      throw new RollbackException("cannot " + what + " in " + table + ": " + e.getMessage(), e);
    }
  }

  private static void requirePositive(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("ttl must be positive: " + ttl);
  }

  @Override
  public String toString() {
    return "JdbcLease[" + table + "]";
  }
}
