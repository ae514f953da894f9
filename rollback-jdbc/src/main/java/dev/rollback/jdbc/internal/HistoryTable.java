package dev.rollback.jdbc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The table of applied migrations: our own {@code rollback_schema_history} (Flyway's columns plus
 * the deployment), or Flyway's {@code flyway_schema_history}, read and written the way Flyway
 * does so {@code flyway info/validate/migrate} stay consistent after our rollbacks.
 */
public final class HistoryTable {
  public enum Kind {
    OWN("rollback_schema_history"),
    FLYWAY("flyway_schema_history");

    private final String table;

    Kind(String table) {
      this.table = table;
    }

    public String table() {
      return table;
    }
  }

  /** One applied migration. */
  public record Row(int rank, String version, String description, String script, @Nullable Integer checksum, boolean success) {}

  private final Kind kind;
  private final String q;

  public HistoryTable(Kind kind) {
    this.kind = kind;
    this.q = Names.quote(kind.table());
  }

  public Kind kind() {
    return kind;
  }

  public String qualified() {
    return q;
  }

  public static boolean exists(Connection c, Kind kind) throws SQLException {
    java.sql.DatabaseMetaData md = c.getMetaData();
    try (ResultSet rs = md.getTables(null, Names.pattern(md, c.getSchema()), Names.pattern(md, kind.table()), null)) {
      return rs.next();
    }
  }

  public void create(Connection c) throws SQLException {
    if (exists(c, kind)) return;
    if (kind == Kind.FLYWAY) {
      throw new SQLException("flyway_schema_history does not exist; run Flyway first or use the runner's own history");
    }
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + q + " (\"installed_rank\" INT NOT NULL PRIMARY KEY, \"version\" VARCHAR(50),"
          + " \"description\" VARCHAR(200) NOT NULL, \"type\" VARCHAR(20) NOT NULL, \"script\" VARCHAR(1000) NOT NULL,"
          + " \"checksum\" INT, \"installed_by\" VARCHAR(100) NOT NULL, \"installed_on\" TIMESTAMP NOT NULL,"
          + " \"execution_time\" INT NOT NULL, \"success\" BOOLEAN NOT NULL, \"deployment\" VARCHAR(200))");
    }
  }

  /** Successful versioned rows, in applied order. Failed rows are returned too, with success false. */
  public List<Row> applied(Connection c) throws SQLException {
    List<Row> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
        "SELECT \"installed_rank\", \"version\", \"description\", \"script\", \"checksum\", \"success\" FROM " + q
            + " WHERE \"version\" IS NOT NULL ORDER BY \"installed_rank\"")) {
      while (rs.next()) {
        int cs = rs.getInt(5);
        Integer checksum = rs.wasNull() ? null : cs;
        out.add(new Row(rs.getInt(1), Version.normalize(rs.getString(2)), rs.getString(3), rs.getString(4), checksum, rs.getBoolean(6)));
      }
    }
    return out;
  }

  public int nextRank(Connection c) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(\"installed_rank\") FROM " + q)) {
      rs.next();
      return rs.getInt(1) + 1;
    }
  }

  public void insert(Connection c, int rank, LoadedMigration m, String installedBy, Instant at, int millis, String deployment)
      throws SQLException {
    String sql = "INSERT INTO " + q + " (\"installed_rank\", \"version\", \"description\", \"type\", \"script\", \"checksum\","
        + " \"installed_by\", \"installed_on\", \"execution_time\", \"success\"" + (kind == Kind.OWN ? ", \"deployment\"" : "")
        + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?" + (kind == Kind.OWN ? ", ?" : "") + ")";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setInt(1, rank);
      ps.setString(2, m.version());
      ps.setString(3, m.info().description());
      ps.setString(4, m.java() != null ? "JDBC" : "SQL");
      ps.setString(5, m.info().script());
      if (m.java() != null) ps.setNull(6, java.sql.Types.INTEGER);
      else ps.setInt(6, m.info().checksum());
      ps.setString(7, installedBy);
      ps.setTimestamp(8, Timestamp.from(at));
      ps.setInt(9, millis);
      ps.setBoolean(10, true);
      if (kind == Kind.OWN) ps.setString(11, deployment);
      ps.executeUpdate();
    }
  }

  public String deleteSql(int rank) {
    return "DELETE FROM " + q + " WHERE \"installed_rank\" = " + rank;
  }

  public void delete(Connection c, int rank) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate(deleteSql(rank));
    }
  }
}
