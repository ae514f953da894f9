package dev.rollback.jdbc.internal;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.statement.alter.Alter;
import net.sf.jsqlparser.statement.alter.AlterExpression;
import net.sf.jsqlparser.statement.alter.AlterOperation;
import org.jspecify.annotations.Nullable;

/**
 * Dropped columns kept in place ({@code withDroppedColumnsKeptInPlace}): which drops qualify, what
 * the catalog says about a column, and the SQL that keeps one, swaps it back, or copies its values
 * into the column the undo script re-added. A kept column is renamed to
 * {@code rb_dropped_<archive id>_<column>} and made nullable; nothing is copied.
 */
public final class InPlace {
  static final String PREFIX = "rb_dropped_";
  /** PostgreSQL's identifier limit (NAMEDATALEN - 1); used on every database so names stay alike. */
  static final int MAX_NAME = 63;

  private InPlace() {}

  /**
   * What the archive index records about a kept column, besides its original name (the entry's
   * column) and its hidden name (the entry's archive table).
   *
   * @param hidden the column's name while it is kept
   * @param notNull the column was NOT NULL before the release (the release made it nullable)
   * @param type its type as the catalog writes it ({@code numeric(10,2)} on PostgreSQL)
   */
  public record Kept(String hidden, boolean notNull, String type) {
    String encode() {
      return (notNull ? "NOT NULL" : "NULL") + "\u001f" + type;
    }

    static Kept decode(String hidden, String encoded) {
      int sep = encoded.indexOf('\u001f');
      return new Kept(hidden, encoded.startsWith("NOT NULL"), sep < 0 ? "" : encoded.substring(sep + 1));
    }
  }

  // ------------------------------------------------------------------ forward

  /**
   * Why {@code sql} is not a drop that can be kept in place, or null when it is: exactly one
   * {@code ALTER TABLE t DROP [COLUMN] [IF EXISTS] c}, without {@code CASCADE}, as the parser reads it.
   */
  static @Nullable String statementObstacle(String sql) {
    net.sf.jsqlparser.statement.Statement parsed;
    try {
      parsed = CCJSqlParserUtil.parse(sql);
    } catch (Exception | StackOverflowError notSql) {
      return "the parser cannot read the statement";
    }
    if (!(parsed instanceof Alter a) || a.getAlterExpressions() == null) return "it is not an ALTER TABLE";
    if (a.getAlterExpressions().size() != 1) return "the ALTER TABLE has " + a.getAlterExpressions().size() + " actions";
    AlterExpression x = a.getAlterExpressions().get(0);
    if (x.getOperation() != AlterOperation.DROP || x.getColumnName() == null) return "it is not a DROP COLUMN";
    for (String token : x.toString().split("\\s+")) {
      if (token.equalsIgnoreCase("CASCADE")) return "it drops with CASCADE (objects depending on the column go too)";
    }
    return null;
  }

  /**
   * Why {@code column} of {@code t} cannot be kept in place, or null when it can: the table needs a
   * primary key of one integer column (the copy-back runs in key ranges), the column must not be
   * part of it, and nothing may depend on the column. Where the catalog cannot tell, it cannot.
   */
  static @Nullable String tableObstacle(Connection c, Dialect d, Names.ResolvedTable t, String column) throws SQLException {
    if (!t.hasColumn(column)) return "the table has no column " + column;
    if (!t.hasKey()) return "the table has no primary key";
    if (t.primaryKey().size() != 1 || !isInteger(jdbcType(c, t, t.primaryKey().get(0)))) {
      return "its primary key " + t.primaryKey() + " is not one integer column (the copy-back runs in key ranges)";
    }
    String col = t.column(column);
    if (t.primaryKey().contains(col)) return "the column is part of the primary key";
    List<String> dependents = d == Dialect.POSTGRES ? pgDependents(c, t, col) : h2Dependents(c, t, col);
    if (!dependents.isEmpty()) return String.join(", ", dependents) + " depend" + (dependents.size() == 1 ? "s" : "") + " on it";
    return null;
  }

  /** {@code rb_dropped_<id>_<column>}, cut to {@link #MAX_NAME} characters and unique in {@code t}. */
  static String hiddenName(Names.ResolvedTable t, long id, String column) {
    boolean upper = column.equals(column.toUpperCase(Locale.ROOT)) && !column.equals(column.toLowerCase(Locale.ROOT));
    String prefix = upper ? PREFIX.toUpperCase(Locale.ROOT) : PREFIX;
    String name = cut(prefix + id + "_" + column);
    for (int n = 2; t.hasColumn(name); n++) name = cut(prefix + id + "_" + n + "_" + column);
    return name;
  }

  private static String cut(String name) {
    return name.length() > MAX_NAME ? name.substring(0, MAX_NAME) : name;
  }

  /** The two metadata-only statements that keep {@code column} as {@code hidden}. */
  static List<String> keepSql(Names.ResolvedTable t, String column, String hidden) {
    return List.of(renameSql(t, column, hidden),
        "ALTER TABLE " + t.qualified() + " ALTER COLUMN " + Names.quote(hidden) + " DROP NOT NULL");
  }

  static String renameSql(Names.ResolvedTable t, String from, String to) {
    return "ALTER TABLE " + t.qualified() + " RENAME COLUMN " + Names.quote(from) + " TO " + Names.quote(to);
  }

  // ------------------------------------------------------------------ rollback: swap

  /** The swap, or why the values are copied instead. */
  public record Swap(List<String> sql, @Nullable String whyNot) {
    public Swap {
      sql = List.copyOf(sql);
    }
  }

  /**
   * Right after the undo script re-added {@code column} of {@code t}, in its transaction: whether
   * the kept column can simply take its place. Only where DDL is transactional (nothing can have
   * written the re-added column yet), with the same type, when nothing depends on the re-added
   * column, and when a {@code NOT NULL} the undo script declared holds for the kept values.
   */
  static Swap swap(Connection c, Dialect d, Names.ResolvedTable t, String column, Kept k) throws SQLException {
    if (d != Dialect.POSTGRES) {
      return new Swap(List.of(), "DDL commits on its own here, so the application may have written the re-added column since the"
          + " undo script");
    }
    String col = t.column(column);
    String hidden = t.column(k.hidden());
    String kept = pgType(c, t, hidden);
    String readded = pgType(c, t, col);
    if (!kept.equals(readded)) return new Swap(List.of(), "the undo script re-added it as " + readded + ", it was " + kept);
    if (pgGeneratedOrIdentity(c, t, col)) return new Swap(List.of(), "the undo script re-added it as a generated or identity column");
    List<String> dependents = pgDependents(c, t, col);
    if (!dependents.isEmpty()) {
      return new Swap(List.of(), "the undo script made " + String.join(", ", dependents) + " depend on the re-added column");
    }
    boolean notNull = notNull(c, t, col);
    if (notNull) {
      String sample = nullRow(c, t, hidden);
      if (sample != null) {
        return new Swap(List.of(), "the undo script declares it NOT NULL, but rows written since the release hold NULL in "
            + t.written() + "." + hidden + " (" + sample + ")");
      }
    }
    return new Swap(swapSql(t.qualified(), col, hidden, pgDefault(c, t, col), notNull), null);
  }

  /** Drop the re-added column, rename the kept one back, give it the default and NOT NULL the undo script declared. */
  static List<String> swapSql(String table, String column, String hidden, @Nullable String def, boolean notNull) {
    List<String> sql = new ArrayList<>();
    sql.add("ALTER TABLE " + table + " DROP COLUMN " + Names.quote(column));
    sql.add("ALTER TABLE " + table + " RENAME COLUMN " + Names.quote(hidden) + " TO " + Names.quote(column));
    sql.add("ALTER TABLE " + table + " ALTER COLUMN " + Names.quote(column) + (def == null ? " DROP DEFAULT" : " SET DEFAULT " + def));
    if (notNull) sql.add("ALTER TABLE " + table + " ALTER COLUMN " + Names.quote(column) + " SET NOT NULL");
    return sql;
  }

  // ------------------------------------------------------------------ rollback: copy

  /**
   * Copies the kept values of one key range ({@code ?} exclusive, {@code ?} inclusive) into the
   * re-added column, only where it still holds what the undo script left ({@code guard}; null:
   * wherever it differs), and not a NULL into a column the undo script declared NOT NULL.
   */
  static String copySql(String table, String keyColumn, String column, String hidden, @Nullable String guard, boolean notNull) {
    String key = "x." + Names.quote(keyColumn);
    String target = "x." + Names.quote(column);
    String kept = "x." + Names.quote(hidden);
    String sql = "UPDATE " + table + " x SET " + Names.quote(column) + " = " + kept + " WHERE " + key + " > ? AND " + key + " <= ? AND "
        + kept + " IS DISTINCT FROM " + target;
    if (guard != null) sql += " AND " + (guard.equals("NULL") ? target + " IS NULL" : target + " IS NOT DISTINCT FROM (" + guard + ")");
    if (notNull) sql += " AND " + kept + " IS NOT NULL";
    return sql;
  }

  /** The key that ends the batch of {@code size} rows after {@code from}; null when fewer rows are left. */
  static @Nullable Long batchEnd(Connection c, Names.ResolvedTable t, long from, int size) throws SQLException {
    String key = Names.quote(t.primaryKey().get(0));
    try (PreparedStatement ps = c.prepareStatement("SELECT " + key + " FROM " + t.qualified() + " WHERE " + key + " > ? ORDER BY " + key
        + " OFFSET " + (size - 1) + " ROWS FETCH NEXT 1 ROWS ONLY")) {
      ps.setLong(1, from);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : null;
      }
    }
  }

  // ------------------------------------------------------------------ dry run

  /** What the undo scripts declare for a re-added {@code column}: its default and NOT NULL, when the parser can tell. */
  record Declared(@Nullable String def, boolean notNull) {}

  static @Nullable Declared declared(List<SqlScript.Statement> down, String column) {
    for (SqlScript.Statement st : down) {
      try {
        if (!(CCJSqlParserUtil.parse(st.sql()) instanceof Alter a) || a.getAlterExpressions() == null) continue;
        for (AlterExpression x : a.getAlterExpressions()) {
          if (x.getOperation() != AlterOperation.ADD || x.getColDataTypeList() == null) continue;
          for (AlterExpression.ColumnDataType cd : x.getColDataTypeList()) {
            if (!Names.unquote(cd.getColumnName()).equalsIgnoreCase(Names.unquote(column))) continue;
            List<String> specs = cd.getColumnSpecs() == null ? List.of() : cd.getColumnSpecs();
            String def = null;
            boolean notNull = false;
            for (int i = 0; i < specs.size(); i++) {
              if (specs.get(i).equalsIgnoreCase("DEFAULT") && i + 1 < specs.size()) def = specs.get(i + 1);
              if (specs.get(i).equalsIgnoreCase("NOT") && i + 1 < specs.size() && specs.get(i + 1).equalsIgnoreCase("NULL")) notNull = true;
            }
            return new Declared(def, notNull);
          }
        }
      } catch (Exception | StackOverflowError notSql) {
        // not an ALTER the parser reads: nothing declared here
      }
    }
    return null;
  }

  // ------------------------------------------------------------------ catalog

  /** The column's type: {@code format_type} on PostgreSQL; data type, precision and scale elsewhere. */
  static String typeOf(Connection c, Dialect d, Names.ResolvedTable t, String column) throws SQLException {
    if (d == Dialect.POSTGRES) return pgType(c, t, column);
    try (PreparedStatement ps = c.prepareStatement("SELECT DATA_TYPE, NUMERIC_PRECISION, NUMERIC_SCALE, CHARACTER_MAXIMUM_LENGTH"
        + " FROM INFORMATION_SCHEMA.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?")) {
      ps.setString(1, t.schema());
      ps.setString(2, t.name());
      ps.setString(3, column);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new SQLException("no column " + column + " in " + t.qualified());
        String type = rs.getString(1);
        String upper = type.toUpperCase(Locale.ROOT);
        if (upper.equals("NUMERIC") || upper.equals("DECIMAL")) return type + "(" + rs.getLong(2) + ", " + rs.getLong(3) + ")";
        if (rs.getString(4) != null && (upper.contains("CHAR") || upper.contains("BINARY"))) return type + "(" + rs.getLong(4) + ")";
        return type;
      }
    }
  }

  static boolean notNull(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    try (ResultSet rs = md.getColumns(null, Names.pattern(md, t.schema()), Names.pattern(md, t.name()), Names.pattern(md, column))) {
      while (rs.next()) if (rs.getString("COLUMN_NAME").equals(column)) return "NO".equals(rs.getString("IS_NULLABLE"));
    }
    return false;
  }

  private static int jdbcType(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    DatabaseMetaData md = c.getMetaData();
    try (ResultSet rs = md.getColumns(null, Names.pattern(md, t.schema()), Names.pattern(md, t.name()), Names.pattern(md, column))) {
      while (rs.next()) if (rs.getString("COLUMN_NAME").equals(column)) return rs.getInt("DATA_TYPE");
    }
    return Types.OTHER;
  }

  private static boolean isInteger(int jdbcType) {
    return jdbcType == Types.SMALLINT || jdbcType == Types.INTEGER || jdbcType == Types.BIGINT || jdbcType == Types.TINYINT;
  }

  /** The key of one row whose {@code column} is NULL, as "id=3"; null when there is none. */
  private static @Nullable String nullRow(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    String key = Names.quote(t.primaryKey().get(0));
    try (java.sql.Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + key + " FROM " + t.qualified()
        + " WHERE " + Names.quote(column) + " IS NULL FETCH FIRST 1 ROWS ONLY")) {
      return rs.next() ? t.primaryKey().get(0) + "=" + rs.getString(1) : null;
    }
  }

  private static String pgType(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
        + " WHERE attrelid = ?::text::regclass AND attname = ? AND NOT attisdropped")) {
      ps.setString(1, t.qualified());
      ps.setString(2, column);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) throw new SQLException("no column " + column + " in " + t.qualified());
        return rs.getString(1);
      }
    }
  }

  private static boolean pgGeneratedOrIdentity(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT attidentity <> '' OR attgenerated <> '' FROM pg_attribute"
        + " WHERE attrelid = ?::text::regclass AND attname = ? AND NOT attisdropped")) {
      ps.setString(1, t.qualified());
      ps.setString(2, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  private static @Nullable String pgDefault(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_get_expr(ad.adbin, ad.adrelid) FROM pg_attrdef ad JOIN pg_attribute a"
        + " ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum WHERE ad.adrelid = ?::text::regclass AND a.attname = ?")) {
      ps.setString(1, t.qualified());
      ps.setString(2, column);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /**
   * Every object that depends on the column (pg_depend; a view through its pg_rewrite rule), but
   * the column's own default, described by {@code pg_describe_object}.
   */
  private static List<String> pgDependents(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    List<String> out = new ArrayList<>();
    if (pgGeneratedOrIdentity(c, t, column)) out.add("its generated value or identity sequence");
    try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_depend d"
        + " JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid"
        + " WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid = ?::text::regclass AND a.attname = ?"
        + " AND NOT (d.classid = 'pg_attrdef'::regclass AND EXISTS (SELECT 1 FROM pg_attrdef ad WHERE ad.oid = d.objid"
        + " AND ad.adrelid = d.refobjid AND ad.adnum = d.refobjsubid)) ORDER BY 1")) {
      ps.setString(1, t.qualified());
      ps.setString(2, column);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) out.add(rs.getString(1));
      }
    }
    return out;
  }

  /**
   * What H2's INFORMATION_SCHEMA tells about objects using the column: constraints and indexes on
   * it, and views whose definition mentions its name (a mention is enough to be unsure).
   */
  private static List<String> h2Dependents(Connection c, Names.ResolvedTable t, String column) {
    List<String> out = new ArrayList<>();
    try {
      for (String[] q : new String[][] {
          {"constraint ", "SELECT CONSTRAINT_NAME FROM INFORMATION_SCHEMA.CONSTRAINT_COLUMN_USAGE WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?"
              + " AND COLUMN_NAME = ?"},
          {"index ", "SELECT INDEX_NAME FROM INFORMATION_SCHEMA.INDEX_COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?"}}) {
        try (PreparedStatement ps = c.prepareStatement(q[1])) {
          ps.setString(1, t.schema());
          ps.setString(2, t.name());
          ps.setString(3, column);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.add(q[0] + rs.getString(1));
          }
        }
      }
      try (PreparedStatement ps = c.prepareStatement("SELECT TABLE_SCHEMA, TABLE_NAME FROM INFORMATION_SCHEMA.VIEWS"
          + " WHERE UPPER(VIEW_DEFINITION) LIKE ?")) {
        ps.setString(1, "%" + column.toUpperCase(Locale.ROOT).replace("%", "").replace("_", "%") + "%");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) out.add("view " + rs.getString(1) + "." + rs.getString(2) + " (its definition mentions " + column + ")");
        }
      }
    } catch (SQLException unsure) {
      out.add("objects the catalog could not be asked about (" + unsure.getMessage() + ")");
    }
    return out;
  }
}
