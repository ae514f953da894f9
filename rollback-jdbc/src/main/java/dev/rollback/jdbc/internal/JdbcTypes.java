package dev.rollback.jdbc.internal;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.jdbc.Migrations;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import dev.rollback.spi.Redactor;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * The database and migration steps plan files can name: target {@code jdbc} (a
 * {@link DataSource} over {@link DriverManager}); steps {@code jdbc.rollbackTo},
 * {@code jdbc.rollbackBy}, {@code jdbc.rollbackToKnownGood}, and the release change
 * {@code jdbc.migrate}. Registered in {@code META-INF/services}.
 */
public final class JdbcTypes {
  private JdbcTypes() {}

  static final Parameter TARGET = Parameter.required("target", Type.TARGET, "the database").withChoices("jdbc");
  static final Parameter MIGRATIONS = Parameter.required("migrations", Type.PATH,
      "the folder of versioned scripts (V<version>__name.sql with U<version>__name.sql undo scripts)");
  static final Parameter FLYWAY = Parameter.optional("flywayHistory", Type.BOOLEAN,
      "read and write Flyway's flyway_schema_history instead of our own history").withDefault("false");

  static Migrations migrations(Arguments args) {
    Migrations.Builder b = Migrations.builder(args.target("target", DataSource.class)).fromFolder(args.path("migrations"));
    if (args.bool("flywayHistory")) b = b.readingFlywayHistory();
    return b.build();
  }

  static Step bounded(Step s) {
    return s.timeout().isPresent() ? s : s.withTimeout(Duration.ofMinutes(10));
  }

  /** {@code jdbc}: a JDBC URL with a user and a password reference; the driver must be on the class path. */
  public static final class Jdbc implements TargetType {
    @Override public String name() { return "jdbc"; }
    @Override public String summary() { return "a database by JDBC URL (PostgreSQL and H2 drivers ship with the command line)"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("url", Type.STRING, "the JDBC URL, e.g. jdbc:postgresql://127.0.0.1:5432/shop"),
          Parameter.optional("user", Type.STRING, "the user"),
          Parameter.optional("password", Type.SECRET, "the password"));
    }
    @Override public Object open(Arguments args) {
      String url = args.string("url");
      if (!url.startsWith("jdbc:")) {
        throw new IllegalArgumentException("url must start with jdbc:, not '" + Redactor.ofUrlSecrets(url).redact(url) + "'");
      }
      return new UrlDataSource(url, args.has("user") ? args.string("user") : null, args.has("password") ? args.secret("password") : null);
    }
  }

  /**
   * A {@link DataSource} on {@link DriverManager}; connects only when asked for a connection. A
   * failure to connect passes the redactor of the URL's secret parts and the password (drivers and
   * {@code DriverManager} echo the URL: "No suitable driver found for jdbc:...").
   */
  public static final class UrlDataSource implements DataSource {
    private final String url;
    private final @org.jspecify.annotations.Nullable String user;
    private final @org.jspecify.annotations.Nullable String password;
    private final Redactor redactor;
    private int loginTimeout;

    UrlDataSource(String url, @org.jspecify.annotations.Nullable String user, @org.jspecify.annotations.Nullable String password) {
      this.url = url;
      this.user = user;
      this.password = password;
      Redactor r = Redactor.ofUrlSecrets(url);
      if (password != null && !password.isEmpty()) r = r.and(Redactor.ofCredentials(user == null ? "" : user, password));
      this.redactor = r;
    }

    @Override public Connection getConnection() throws SQLException {
      Properties p = new Properties();
      if (user != null) p.setProperty("user", user);
      if (password != null) p.setProperty("password", password);
      return connect(() -> DriverManager.getConnection(url, p));
    }
    @Override public Connection getConnection(String u, String pw) throws SQLException {
      Redactor r = pw == null || pw.isEmpty() ? redactor : redactor.and(Redactor.ofCredentials(u == null ? "" : u, pw));
      try {
        return DriverManager.getConnection(url, u, pw);
      } catch (SQLException e) {
        throw redacted(r, e);
      }
    }

    private interface Connect {
      Connection open() throws SQLException;
    }

    private Connection connect(Connect c) throws SQLException {
      try {
        return c.open();
      } catch (SQLException e) {
        throw redacted(redactor, e);
      }
    }

    /** The one way a driver's failure leaves this data source: message and causes redacted, SQL state and code kept. */
    private static SQLException redacted(Redactor r, SQLException e) {
      SQLException out = new SQLException(r.redact(e.getMessage()), e.getSQLState(), e.getErrorCode(), r.scrub(e));
      out.setStackTrace(e.getStackTrace());
      return out;
    }
    @Override public PrintWriter getLogWriter() { return null; }
    @Override public void setLogWriter(PrintWriter out) {}
    @Override public void setLoginTimeout(int seconds) { this.loginTimeout = seconds; }
    @Override public int getLoginTimeout() { return loginTimeout; }
    @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
    @Override public <T> T unwrap(Class<T> iface) throws SQLException {
      if (iface.isInstance(this)) return iface.cast(this);
      throw new SQLException("not a wrapper of " + iface);
    }
    @Override public boolean isWrapperFor(Class<?> iface) { return iface.isInstance(this); }
    @Override public String toString() { return "DataSource[" + redactor.redact(url) + (user == null ? "" : ", user " + user) + "]"; }
  }

  /** {@code jdbc.rollbackTo}. */
  public static final class RollbackTo implements StepType {
    @Override public String name() { return "jdbc.rollbackTo"; }
    @Override public String summary() { return "roll the database back to a version, restoring archived data and verifying fingerprints"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, MIGRATIONS, Parameter.required("version", Type.STRING, "the version to go back to"), FLYWAY);
    }
    @Override public Step step(Arguments args) { return bounded(migrations(args).rollbackStep(args.string("version"))); }
  }

  /** {@code jdbc.rollbackBy}. */
  public static final class RollbackBy implements StepType {
    @Override public String name() { return "jdbc.rollbackBy"; }
    @Override public String summary() { return "undo the last migrations (the target version is fixed the first time the step runs)"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, MIGRATIONS, Parameter.required("count", Type.INTEGER, "how many migrations to undo").between(1, 1000), FLYWAY);
    }
    @Override public Step step(Arguments args) { return bounded(migrations(args).rollbackStepBy(args.integer("count"))); }
  }

  /** {@code jdbc.rollbackToKnownGood}. */
  public static final class RollbackToKnownGood implements StepType {
    @Override public String name() { return "jdbc.rollbackToKnownGood"; }
    @Override public String summary() { return "roll the database back to the version captured before the deployment (rollback capture)"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, MIGRATIONS, FLYWAY); }
    @Override public Step step(Arguments args) { return bounded(migrations(args).rollbackToKnownGood()); }
  }

  /** {@code jdbc.migrate}: a release change. */
  public static final class Migrate implements StepType {
    @Override public String name() { return "jdbc.migrate"; }
    @Override public String summary() { return "migrate the database to a version; as a change, reverted to the version before the release"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, MIGRATIONS, Parameter.required("version", Type.STRING, "the version to migrate to"), FLYWAY);
    }
    @Override public Step step(Arguments args) { return bounded(change(args).apply()); }
    @Override public boolean hasChange() { return true; }
    @Override public Change change(Arguments args) {
      Change c = migrations(args).change(args.string("version"));
      return c.withApply(bounded(c.apply())).withRevert(bounded(c.revert()));
    }
  }
}
