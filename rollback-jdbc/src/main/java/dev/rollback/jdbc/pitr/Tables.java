package dev.rollback.jdbc.pitr;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Catalog reads: a table's columns (name → type) and primary key, by the name the user gave. */
final class Tables {
  private Tables() {}

  /** A table as the catalog names it. */
  record Table(String qualified, Map<String, String> columns, List<String> key) {
    String quotedColumns(List<String> names, String alias) {
      List<String> out = new ArrayList<>();
      for (String n : names) out.add((alias.isEmpty() ? "" : alias + ".") + quote(n));
      return String.join(", ", out);
    }
  }

  static Optional<Table> find(Connection c, String table) throws SQLException {
    String oidSql = "SELECT to_regclass(?)::oid, to_regclass(?)::text";
    long oid;
    String qualified;
    try (PreparedStatement ps = c.prepareStatement(oidSql)) {
      ps.setString(1, table);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        if (rs.getString(1) == null) return Optional.empty();
        oid = rs.getLong(1);
      }
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            + " WHERE c.oid = ?")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        qualified = rs.getString(1);
      }
    }
    Map<String, String> columns = new LinkedHashMap<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute"
        + " WHERE attrelid = ? AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) columns.put(rs.getString(1), rs.getString(2));
      }
    }
    List<String> key = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT a.attname FROM pg_index i JOIN LATERAL unnest(i.indkey)"
        + " WITH ORDINALITY AS k(attnum, ord) ON true JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        + " WHERE i.indrelid = ? AND i.indisprimary ORDER BY k.ord")) {
      ps.setLong(1, oid);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) key.add(rs.getString(1));
      }
    }
    return Optional.of(new Table(qualified, columns, key));
  }

  /** The ordinary tables of the connected database, schema-qualified, outside the system schemas. */
  static List<String> userTables(Connection c) throws SQLException {
    List<String> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
        + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND c.relpersistence = 'p'"
        + " AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'"
        + " AND n.nspname NOT LIKE 'pg_temp%' ORDER BY 1"); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(rs.getString(1));
    }
    return out;
  }

  static String quote(String identifier) {
    return "\"" + identifier.replace("\"", "\"\"") + "\"";
  }
}
