package dev.rollback.jdbc.pitr;

import java.util.Objects;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * How to reach the live PostgreSQL server: host, port, database, and a role allowed to run
 * {@code pg_create_restore_point}, {@code pg_switch_wal} and {@code pg_basebackup} (a superuser, or
 * a role with those grants and the REPLICATION attribute). The same role logs in to recovered
 * copies, which hold the same roles. The password never appears in {@link #toString()}, logs or
 * command lines ({@code pg_basebackup} gets it through {@code PGPASSWORD}).
 */
public record PgLogin(String host, int port, String database, String user, String password) {
  public PgLogin {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("port must be 1-65535: " + port);
    if (database.isBlank()) throw new IllegalArgumentException("database must not be blank");
    if (user.isBlank()) throw new IllegalArgumentException("user must not be blank");
  }

  /** The same role on another database of the server. */
  public PgLogin withDatabase(String otherDatabase) {
    return new PgLogin(host, port, otherDatabase, user, password);
  }

  /** The same role on another server (a recovered copy). */
  PgLogin at(String otherHost, int otherPort) {
    return new PgLogin(otherHost, otherPort, database, user, password);
  }

  PGSimpleDataSource dataSource() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {host});
    ds.setPortNumbers(new int[] {port});
    ds.setDatabaseName(database);
    ds.setUser(user);
    ds.setPassword(password);
    ds.setApplicationName("rollback-pitr");
    return ds;
  }

  @Override
  public String toString() {
    return "PgLogin[" + user + "@" + host + ":" + port + "/" + database + ", password redacted]";
  }
}
