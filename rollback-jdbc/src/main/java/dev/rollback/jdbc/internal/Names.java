package dev.rollback.jdbc.internal;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** Identifier helpers: quoting, and finding a user's table and its key in the catalog. */
public final class Names {
  private Names() {}

  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** A table as found in the catalog: the exact names to quote. */
  public record ResolvedTable(String written, String schema, String name, List<String> primaryKey, List<String> columns) {
    public ResolvedTable {
      primaryKey = List.copyOf(primaryKey);
      columns = List.copyOf(columns);
    }

    public String qualified() {
      return schema == null ? quote(name) : quote(schema) + "." + quote(name);
    }

    public boolean hasKey() {
      return !primaryKey.isEmpty();
    }

    /** The catalog name of a column the user wrote (case folded as the database does). */
    public String column(String written) {
      String w = unquote(written);
      for (String c : columns) if (c.equals(w)) return c;
      for (String c : columns) if (c.equalsIgnoreCase(w)) return c;
      throw new IllegalArgumentException("table " + this.written + " has no column " + written + " (columns: " + columns + ")");
    }

    public boolean hasColumn(String written) {
      String w = unquote(written);
      for (String c : columns) if (c.equalsIgnoreCase(w)) return true;
      return false;
    }
  }

  public static String unquote(String s) {
    if (s.length() >= 2 && (s.startsWith("\"") && s.endsWith("\"") || s.startsWith("`") && s.endsWith("`"))) {
      return s.substring(1, s.length() - 1);
    }
    return s;
  }

  /** Finds {@code written} ("orders", "shop.orders", quoted or not); null when it does not exist. */
  public static ResolvedTable resolve(Connection c, String written) throws SQLException {
    String schema = null;
    String name = written;
    int dot = dotOutsideQuotes(written);
    if (dot >= 0) {
      schema = written.substring(0, dot);
      name = written.substring(dot + 1);
    }
    DatabaseMetaData md = c.getMetaData();
    for (String[] cand : candidates(schema, name)) {
      String s = cand[0];
      String n = cand[1];
      if (s == null) s = c.getSchema();
      try (ResultSet rs = md.getTables(null, pattern(md, s), pattern(md, n), null)) {
        if (rs.next()) {
          String foundSchema = rs.getString("TABLE_SCHEM");
          String foundName = rs.getString("TABLE_NAME");
          return new ResolvedTable(written, foundSchema, foundName, primaryKey(md, foundSchema, foundName),
              columns(md, foundSchema, foundName));
        }
      }
    }
    return null;
  }

  /** {@code name} as a catalog search pattern that matches only itself ('_' and '%' escaped). */
  public static String pattern(DatabaseMetaData md, String name) throws SQLException {
    if (name == null) return null;
    String esc = md.getSearchStringEscape();
    if (esc == null || esc.isEmpty()) return name;
    return name.replace(esc, esc + esc).replace("_", esc + "_").replace("%", esc + "%");
  }

  private static int dotOutsideQuotes(String s) {
    boolean q = false;
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      if (ch == '"') q = !q;
      if (ch == '.' && !q) return i;
    }
    return -1;
  }

  private static List<String[]> candidates(String schema, String name) {
    List<String[]> out = new ArrayList<>();
    for (String n : variants(name)) {
      if (schema == null) {
        out.add(new String[] {null, n});
      } else {
        for (String s : variants(schema)) out.add(new String[] {s, n});
      }
    }
    return out;
  }

  private static List<String> variants(String written) {
    if (written.startsWith("\"")) return List.of(unquote(written));
    return List.of(written, written.toUpperCase(Locale.ROOT), written.toLowerCase(Locale.ROOT));
  }

  private static List<String> primaryKey(DatabaseMetaData md, String schema, String table) throws SQLException {
    Map<Integer, String> cols = new TreeMap<>();
    try (ResultSet rs = md.getPrimaryKeys(null, schema, table)) { // not a pattern: exact names
      while (rs.next()) cols.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
    }
    return new ArrayList<>(cols.values());
  }

  private static List<String> columns(DatabaseMetaData md, String schema, String table) throws SQLException {
    Map<Integer, String> cols = new TreeMap<>();
    try (ResultSet rs = md.getColumns(null, pattern(md, schema), pattern(md, table), null)) {
      while (rs.next()) cols.put(rs.getInt("ORDINAL_POSITION"), rs.getString("COLUMN_NAME"));
    }
    return new ArrayList<>(cols.values());
  }
}
