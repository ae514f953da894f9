package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.MigrationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * The archive schema: a copy of what each destructive statement destroyed, one table per effect
 * ({@code a<id>}, numbered rows in {@code rb_seq}), an after-image for changes that keep the rows
 * ({@code a<id>_after}), and the index that tags each with the deployment, version and statement.
 *
 * <p>Restoring never deletes or overwrites what the application wrote since the change: whole
 * rows are re-inserted only where their key is missing; column values are put back only into
 * rows that still hold the value the change left (or, for a dropped column, that the column was
 * re-created for). It runs in batches of {@code rb_seq} ranges, each committed together with its
 * row in {@code restore_batches}, so no lock is held long, batches on several connections may
 * commit in any order, and a resume redoes exactly the ranges no committed batch covers (doing a
 * range twice is harmless: rows that already hold the archived value are not written).
 */
public final class Archive {
  public static final String ARCHIVED = "ARCHIVED";
  public static final String REVERTED = "REVERTED";
  public static final String RESTORED = "RESTORED";
  public static final String EXPIRED = "EXPIRED";

  private final String schema;
  private final String qs;

  public Archive(String schema) {
    this.schema = schema;
    this.qs = Names.quote(schema);
  }

  public String schema() {
    return schema;
  }

  String index() {
    return qs + ".\"archive_index\"";
  }

  String table(String name) {
    return qs + "." + Names.quote(name);
  }

  /** One archived effect. */
  public record Entry(long id, String deployment, String version, int rank, int stmt, int effect, Effect.Kind kind,
      String sourceTable, List<String> columns, List<String> key, String archiveTable, @Nullable String afterTable,
      long rows, Instant createdAt, String phase, long restoredUpto, long rowsRestored, String origin,
      @Nullable String refillGuard, @Nullable String keptInPlace) {
    /** A dropped column kept in its table under a hidden name ({@code archiveTable} is that name). */
    public boolean isKeptInPlace() {
      return kind == Effect.Kind.KEPT_IN_PLACE;
    }

    /** What was recorded about the kept column; only for {@link #isKeptInPlace()}. */
    public InPlace.Kept kept() {
      return InPlace.Kept.decode(archiveTable, keptInPlace == null ? "" : keptInPlace);
    }
  }

  public void create(Connection c) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.execute("CREATE SCHEMA IF NOT EXISTS " + qs);
      st.execute("CREATE TABLE IF NOT EXISTS " + index() + " (\"id\" BIGINT NOT NULL PRIMARY KEY, \"deployment\" VARCHAR(200) NOT NULL,"
          + " \"version\" VARCHAR(50) NOT NULL, \"history_rank\" INT NOT NULL, \"stmt_no\" INT NOT NULL, \"effect_no\" INT NOT NULL,"
          + " \"kind\" VARCHAR(20) NOT NULL, \"source_table\" VARCHAR(300) NOT NULL, \"columns\" VARCHAR(2000) NOT NULL,"
          + " \"key_columns\" VARCHAR(1000) NOT NULL, \"archive_table\" VARCHAR(100) NOT NULL, \"after_table\" VARCHAR(100),"
          + " \"rows_archived\" BIGINT NOT NULL, \"created_at\" TIMESTAMP NOT NULL, \"phase\" VARCHAR(20) NOT NULL,"
          + " \"restored_upto\" BIGINT NOT NULL, \"rows_restored\" BIGINT NOT NULL, \"origin\" VARCHAR(1000) NOT NULL,"
          + " \"refill_guard\" VARCHAR(4000), \"kept_in_place\" VARCHAR(1000))");
      // archive schemas made before the refill guard existed get the column (NULL: refilled as before)
      st.execute("ALTER TABLE " + index() + " ADD COLUMN IF NOT EXISTS \"refill_guard\" VARCHAR(4000)");
      // and before dropped columns could be kept in place (NULL: an archive table)
      st.execute("ALTER TABLE " + index() + " ADD COLUMN IF NOT EXISTS \"kept_in_place\" VARCHAR(1000)");
      st.execute("CREATE TABLE IF NOT EXISTS " + qs + ".\"fingerprints\" (\"version\" VARCHAR(50) NOT NULL, \"history_rank\" INT NOT NULL,"
          + " \"table_name\" VARCHAR(300) NOT NULL, \"columns\" VARCHAR(2000) NOT NULL, \"fingerprint\" VARCHAR(8000) NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS " + qs + ".\"progress\" (\"version\" VARCHAR(50) NOT NULL, \"history_rank\" INT NOT NULL,"
          + " \"direction\" VARCHAR(10) NOT NULL, \"done\" INT NOT NULL)");
      st.execute("CREATE TABLE IF NOT EXISTS " + qs + ".\"audit\" (\"id\" BIGINT NOT NULL PRIMARY KEY, \"deployment\" VARCHAR(200) NOT NULL,"
          + " \"actor\" VARCHAR(200) NOT NULL, \"action\" VARCHAR(40) NOT NULL, \"from_version\" VARCHAR(50) NOT NULL,"
          + " \"to_version\" VARCHAR(50) NOT NULL, \"versions\" VARCHAR(2000) NOT NULL, \"started_at\" TIMESTAMP NOT NULL,"
          + " \"finished_at\" TIMESTAMP NOT NULL, \"rows_restored\" BIGINT NOT NULL, \"verification\" VARCHAR(4000) NOT NULL,"
          + " \"outcome\" VARCHAR(20) NOT NULL, \"detail\" VARCHAR(4000) NOT NULL)");
      // one row per committed restore batch: batches on several connections commit out of order
      st.execute("CREATE TABLE IF NOT EXISTS " + batches() + " (\"archive_id\" BIGINT NOT NULL, \"seq_from\" BIGINT NOT NULL,"
          + " \"seq_to\" BIGINT NOT NULL, \"rows_restored\" BIGINT NOT NULL, PRIMARY KEY (\"archive_id\", \"seq_from\"))");
    }
  }

  private String batches() {
    return qs + ".\"restore_batches\"";
  }

  // ------------------------------------------------------------------ archiving

  /**
   * Copies what {@code e} will destroy into a new archive table, unless this statement's effect
   * was archived already (a resume after a crash on a database without transactional DDL: the
   * first copy is the one taken before the data was touched).
   */
  public @Nullable Entry archive(Connection c, Effect e, LoadedMigration m, int rank, int stmt, int effectNo,
      String deployment, String origin, Instant now) throws SQLException {
    Entry existing = find(c, m.version(), rank, stmt, effectNo);
    if (existing != null) return existing;
    Names.ResolvedTable t = Names.resolve(c, e.table());
    if (t == null) {
      if (e.kind() == Effect.Kind.DROP_TABLE) return null; // DROP TABLE IF EXISTS of a missing table destroys nothing
      throw new MigrationException(origin + ": " + e.describe() + ", but table " + e.table() + " does not exist");
    }
    if (e.kind().columnsMode() && !t.hasKey()) {
      throw new MigrationException(origin + ": " + e.describe() + ", but " + e.table() + " has no primary key, so archived values"
          + " could not be put back into the right rows. Add a primary key, or archive whole rows with '-- rollback:archive "
          + e.table() + "' if the statement removes them");
    }
    long id = nextId(c, index());
    String name = "a" + id;
    List<String> cols = new ArrayList<>();
    List<String> select = new ArrayList<>();
    if (e.kind().columnsMode()) {
      for (String k : t.primaryKey()) select.add(Names.quote(k));
      for (String col : e.columns()) {
        String catalog = t.column(col);
        cols.add(catalog);
        if (!t.primaryKey().contains(catalog)) select.add(Names.quote(catalog));
      }
    } else {
      cols.addAll(t.columns());
      for (String col : t.columns()) select.add(Names.quote(col));
    }
    String where = e.where() == null ? "" : " WHERE " + e.where();
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + table(name) + " AS SELECT ROW_NUMBER() OVER () AS rb_seq, " + String.join(", ", select)
          + " FROM " + t.qualified() + where);
      st.execute("ALTER TABLE " + table(name) + " ALTER COLUMN rb_seq SET NOT NULL");
      st.execute("ALTER TABLE " + table(name) + " ADD PRIMARY KEY (rb_seq)");
    }
    long rows = count(c, table(name));
    insertEntry(c, id, deployment, m.version(), rank, stmt, effectNo, e.kind(), t.written(), String.join("\u001f", cols),
        String.join("\u001f", t.primaryKey()), name, rows, now, 0, origin, null);
    return find(c, m.version(), rank, stmt, effectNo);
  }

  /**
   * Adds an entry to the archive index in phase ARCHIVED, nothing restored yet: {@code columns} and
   * {@code key} joined by U+001F, {@code archiveTable} the archive's table ("-" for none) or a kept
   * column's hidden name, {@code kept} what {@link InPlace.Kept#encode} says of a kept column.
   */
  void insertEntry(Connection c, long id, String deployment, String version, int rank, int stmt, int effectNo, Effect.Kind kind,
      String table, String columns, String key, String archiveTable, long rows, Instant now, long restoredUpto, String origin,
      @Nullable String kept) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + index() + " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")) {
      ps.setLong(1, id);
      ps.setString(2, deployment);
      ps.setString(3, version);
      ps.setInt(4, rank);
      ps.setInt(5, stmt);
      ps.setInt(6, effectNo);
      ps.setString(7, kind.name());
      ps.setString(8, table);
      ps.setString(9, columns);
      ps.setString(10, key);
      ps.setString(11, archiveTable);
      ps.setString(12, null); // after_table: set when an after-image is taken
      ps.setLong(13, rows);
      ps.setTimestamp(14, Timestamp.from(now));
      ps.setString(15, ARCHIVED);
      ps.setLong(16, restoredUpto);
      ps.setLong(17, 0);
      ps.setString(18, origin);
      ps.setString(19, null); // refill_guard: recorded after the undo script
      ps.setString(20, kept);
      ps.executeUpdate();
    }
  }

  /**
   * Records a dropped column kept in place: the index row (kind {@code KEPT_IN_PLACE}, the hidden
   * name as its archive table, whether it was NOT NULL and its type in {@code kept_in_place}, the
   * table's rows at the release). The caller runs {@link InPlace#keepSql}. Nothing is copied.
   */
  public Entry keepInPlace(Connection c, Dialect d, Names.ResolvedTable t, String column, LoadedMigration m, int rank, int stmt,
      String deployment, String origin, Instant now) throws SQLException {
    long id = nextId(c, index());
    String col = t.column(column);
    String hidden = InPlace.hiddenName(t, id, col);
    InPlace.Kept kept = new InPlace.Kept(hidden, InPlace.notNull(c, t, col), InPlace.typeOf(c, d, t, col));
    long rows = count(c, t.qualified());
    // restored_upto is the copy-back's progress: the last key of its last committed batch
    insertEntry(c, id, deployment, m.version(), rank, stmt, 0, Effect.Kind.KEPT_IN_PLACE, t.written(), col,
        String.join("\u001f", t.primaryKey()), hidden, rows, now, Long.MIN_VALUE, origin, kept.encode());
    return find(c, m.version(), rank, stmt, 0);
  }

  /**
   * Whether the column a kept-in-place entry hides is still in its table, or in the archive of
   * whole rows a later statement removed (a dropped table, deleted rows), which puts it back first.
   */
  public boolean keptColumnExists(Connection c, Entry e) throws SQLException {
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    if (t != null && t.hasColumn(e.archiveTable())) return true;
    for (Entry rows : entries(c, "\"id\" > " + e.id() + " AND \"phase\" IN ('" + ARCHIVED + "', '" + REVERTED + "')")) {
      if (!rows.kind().columnsMode() && !rows.archiveTable().equals("-") && rows.columns().contains(e.archiveTable())
          && tableExists(c, rows.archiveTable())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Before whole archived rows go back into a table the undo script re-created: the columns kept in
   * place there (archived with the rows, and not yet swapped back) are added back with their
   * recorded type, so their values come back too. Returns the statements it ran.
   */
  public List<String> readdKeptColumns(Connection c, Entry e) throws SQLException {
    List<String> ran = new ArrayList<>();
    if (e.kind().columnsMode() || e.isKeptInPlace()) return ran;
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    if (t == null) return ran;
    List<Entry> kept = entries(c, "\"kind\" = '" + Effect.Kind.KEPT_IN_PLACE.name() + "' AND \"phase\" = '" + ARCHIVED + "'");
    for (String col : e.columns()) {
      if (t.hasColumn(col)) continue;
      for (Entry k : kept) {
        Names.ResolvedTable kt = k.archiveTable().equals(col) ? Names.resolve(c, k.sourceTable()) : null;
        if (kt == null || !kt.qualified().equals(t.qualified())) continue;
        String sql = "ALTER TABLE " + t.qualified() + " ADD COLUMN " + Names.quote(col) + " " + k.kept().type();
        try (Statement st = c.createStatement()) {
          st.execute(sql);
        }
        ran.add(sql);
        break;
      }
    }
    return ran;
  }

  /** The copy-back of a kept column committed the batch ending at key {@code upto}, in the caller's transaction. */
  public void recordCopied(Connection c, Entry e, long upto, long rows) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + index() + " SET \"restored_upto\" = ?, \"rows_restored\" ="
        + " \"rows_restored\" + ? WHERE \"id\" = ?")) {
      ps.setLong(1, upto);
      ps.setLong(2, rows);
      ps.setLong(3, e.id());
      ps.executeUpdate();
    }
  }

  /** A kept column is back (swapped, or copied and dropped): phase RESTORED with {@code rows}, in the caller's transaction. */
  public void finishKept(Connection c, Entry e, long rows) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + index() + " SET \"rows_restored\" = ?, \"phase\" = '" + RESTORED
        + "' WHERE \"id\" = ?")) {
      ps.setLong(1, rows);
      ps.setLong(2, e.id());
      ps.executeUpdate();
    }
  }

  /** Re-reads one entry (its progress changes as batches commit). */
  public Entry reload(Connection c, Entry e) throws SQLException {
    return entries(c, "\"id\" = " + e.id()).get(0);
  }

  /**
   * After the statement ran: for changes that keep the rows, records the values it left, so the
   * restore can tell them from values the application wrote later.
   */
  public void captureAfter(Connection c, Entry e) throws SQLException {
    if (!e.kind().columnsMode() || e.kind() == Effect.Kind.DROP_COLUMNS || e.afterTable() != null) return;
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    if (t == null) return;
    for (String col : e.columns()) if (!t.hasColumn(col)) return; // the column is gone: restored unconditionally
    String after = e.archiveTable() + "_after";
    List<String> select = new ArrayList<>();
    for (String k : e.key()) select.add("x." + Names.quote(t.column(k)));
    int i = 0;
    for (String col : e.columns()) select.add("x." + Names.quote(t.column(col)) + " AS rb_after_" + (i++));
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + table(after) + " AS SELECT " + String.join(", ", select) + " FROM " + t.qualified() + " x JOIN "
          + table(e.archiveTable()) + " a ON " + keyJoin("x", "a", e.key(), t));
      st.executeUpdate("UPDATE " + index() + " SET \"after_table\" = '" + after + "' WHERE \"id\" = " + e.id());
    }
  }

  // ------------------------------------------------------------------ lookup

  public @Nullable Entry find(Connection c, String version, int rank, int stmt, int effect) throws SQLException {
    for (Entry e : entries(c, "\"version\" = '" + version + "' AND \"history_rank\" = " + rank + " AND \"stmt_no\" = " + stmt
        + " AND \"effect_no\" = " + effect)) {
      return e;
    }
    return null;
  }

  public List<Entry> forMigration(Connection c, String version, int rank) throws SQLException {
    return entries(c, "\"version\" = '" + version + "' AND \"history_rank\" = " + rank);
  }

  public List<Entry> inPhase(Connection c, String phase) throws SQLException {
    return entries(c, "\"phase\" = '" + phase + "'");
  }

  public List<Entry> all(Connection c) throws SQLException {
    return entries(c, "1 = 1");
  }

  private List<Entry> entries(Connection c, String where) throws SQLException {
    List<Entry> out = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT * FROM " + index() + " WHERE " + where
        + " ORDER BY \"id\"")) {
      while (rs.next()) {
        out.add(new Entry(rs.getLong("id"), rs.getString("deployment"), rs.getString("version"), rs.getInt("history_rank"),
            rs.getInt("stmt_no"), rs.getInt("effect_no"), Effect.Kind.valueOf(rs.getString("kind")), rs.getString("source_table"),
            List.of(rs.getString("columns").split("\u001f")), split(rs.getString("key_columns")), rs.getString("archive_table"),
            rs.getString("after_table"), rs.getLong("rows_archived"), rs.getTimestamp("created_at").toInstant(),
            rs.getString("phase"), rs.getLong("restored_upto"), rs.getLong("rows_restored"), rs.getString("origin"),
            rs.getString("refill_guard"), rs.getString("kept_in_place")));
      }
    }
    return out;
  }

  private static List<String> split(String s) {
    return s.isEmpty() ? List.of() : List.of(s.split("\u001f"));
  }

  public boolean tableExists(Connection c, String name) throws SQLException {
    java.sql.DatabaseMetaData md = c.getMetaData();
    try (ResultSet rs = md.getTables(null, Names.pattern(md, schema), Names.pattern(md, name), null)) {
      return rs.next();
    }
  }

  public void setPhase(Connection c, String version, int rank, String phase) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + index() + " SET \"phase\" = ? WHERE \"version\" = ? AND \"history_rank\" = ?"
        + " AND \"phase\" = ?")) {
      ps.setString(1, phase);
      ps.setString(2, version);
      ps.setInt(3, rank);
      ps.setString(4, ARCHIVED);
      ps.executeUpdate();
    }
  }

  // ------------------------------------------------------------------ refill guard

  /**
   * Whether the restore of {@code e} refills columns the undo script re-created: a column-level
   * archive without an after-image (the column did not exist after the change, so there is no
   * value "the change left" to compare with).
   */
  public static boolean refillsRecreatedColumns(Entry e) {
    if (e.isKeptInPlace()) return true; // the kept values are copied into the re-added column, guarded the same way
    return e.kind().columnsMode() && e.afterTable() == null && e.rows() > 0 && !e.archiveTable().equals("-");
  }

  /**
   * Right after the undo script re-created the columns of {@code e} (in its transaction where DDL
   * is transactional): records, per column, the value the undo script left in every row, so the
   * restore refills only rows that still hold it and never overwrites a value the application
   * wrote into the re-added column since. That value is NULL for a column without a default and
   * the default for one whose default is a constant. A column whose default is not a constant
   * (a function, a sequence, the time) or whose rows do not all hold that value (the undo script
   * filled it in) cannot be guarded: it is refilled as before, and the reason is returned, and kept
   * in the archive index, as a note. Does nothing when the guard was recorded already (a resume).
   *
   * @param undoOnlyAdds the undo script is nothing but {@code ALTER TABLE … ADD …}: it cannot have
   *     written existing rows, so every row holds the default and the table is not scanned for one
   *     that does not (the scan would hold the {@code ADD COLUMN}'s lock for a read of the table)
   */
  public List<String> recordRefillGuard(Connection c, Entry e, boolean undoOnlyAdds) throws SQLException {
    if (!refillsRecreatedColumns(e) || e.refillGuard() != null) return List.of();
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    if (t == null) return List.of(); // the restore names the missing table
    for (String col : e.columns()) if (!t.hasColumn(col)) return List.of(); // the restore names the missing column
    List<String> guards = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (String col : e.columns()) {
      String name = t.column(col);
      String def = columnDefault(c, t, name);
      String left = def == null || def.isBlank() ? "NULL" : def.trim();
      String why = null;
      if (!isConstant(left)) {
        why = "its default " + left + " is not a constant, so a value the application wrote cannot be told from it";
      } else {
        String sample = undoOnlyAdds ? null : rowNotHolding(c, t, name, left);
        if (sample != null) {
          why = "the undo script left " + sample + " instead of " + (left.equals("NULL") ? "NULL" : "the default " + left)
              + ", so a value the application wrote cannot be told from one it set";
        }
      }
      if (why == null) {
        guards.add(GUARDED + left);
      } else {
        String note = "the restore of " + e.origin() + " (archive " + schema + "." + e.archiveTable() + ") refills "
            + e.sourceTable() + "." + name + " in every archived row whose value differs, also where the application wrote it after"
            + " the undo script: " + why;
        guards.add(UNGUARDED + note);
        notes.add(note);
      }
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + index() + " SET \"refill_guard\" = ? WHERE \"id\" = ?")) {
      ps.setString(1, cut(String.join("\u001f", guards)));
      ps.setLong(2, e.id());
      ps.executeUpdate();
    }
    return notes;
  }

  private static final String GUARDED = "=";
  private static final String UNGUARDED = "!";

  /**
   * Per column of {@code e}: the SQL value the undo script left in it, or {@code null} where the
   * column is refilled unguarded. {@code null} altogether when no guard was recorded (an archive
   * reverted by a runner older than the guard: refilled as before).
   */
  static @Nullable List<@Nullable String> refillGuards(Entry e) {
    if (e.refillGuard() == null) return null;
    String[] parts = e.refillGuard().split("\u001f", -1);
    if (parts.length != e.columns().size()) return null; // cut short: refilled as before
    List<@Nullable String> out = new ArrayList<>();
    for (String p : parts) out.add(p.startsWith(GUARDED) ? p.substring(GUARDED.length()) : null);
    return out;
  }

  /** The notes recorded for the columns of {@code e} that are refilled unguarded. */
  public static List<String> refillNotes(Entry e) {
    List<String> out = new ArrayList<>();
    if (e.refillGuard() == null) return out;
    for (String p : e.refillGuard().split("\u001f", -1)) if (p.startsWith(UNGUARDED)) out.add(p.substring(UNGUARDED.length()));
    return out;
  }

  private static String cut(String v) {
    return v.length() > 4000 ? v.substring(0, 3999) : v;
  }

  private static @Nullable String columnDefault(Connection c, Names.ResolvedTable t, String column) throws SQLException {
    java.sql.DatabaseMetaData md = c.getMetaData();
    try (ResultSet rs = md.getColumns(null, t.schema() == null ? null : Names.pattern(md, t.schema()), Names.pattern(md, t.name()),
        Names.pattern(md, column))) {
      while (rs.next()) {
        if (rs.getString("COLUMN_NAME").equals(column)) return rs.getString("COLUMN_DEF");
      }
    }
    return null;
  }

  /** The key of one row whose {@code column} is not {@code value}, as "id=3 (holding 7)"; null when every row holds it. */
  private static @Nullable String rowNotHolding(Connection c, Names.ResolvedTable t, String column, String value) throws SQLException {
    List<String> sel = new ArrayList<>();
    for (String k : t.primaryKey()) sel.add(Names.quote(k));
    sel.add(Names.quote(column));
    try (Statement st = c.createStatement()) {
      st.setMaxRows(1);
      try (ResultSet rs = st.executeQuery("SELECT " + String.join(", ", sel) + " FROM " + t.qualified() + " WHERE NOT ("
          + holds(Names.quote(column), value) + ") FETCH FIRST 1 ROWS ONLY")) {
        if (!rs.next()) return null;
        List<String> key = new ArrayList<>();
        for (int i = 0; i < t.primaryKey().size(); i++) key.add(t.primaryKey().get(i) + "=" + rs.getString(i + 1));
        return rs.getString(t.primaryKey().size() + 1) + " in the row " + String.join(", ", key);
      }
    }
  }

  /**
   * Whether {@code sql} is an {@code ALTER TABLE} whose every operation adds something (a column,
   * a constraint, an index): such a statement writes no existing row, except a new column's
   * default. Anything else, or anything the parser cannot read, is not.
   */
  public static boolean onlyAdds(String sql) {
    try {
      if (!(net.sf.jsqlparser.parser.CCJSqlParserUtil.parse(sql) instanceof net.sf.jsqlparser.statement.alter.Alter a)) return false;
      if (a.getAlterExpressions() == null || a.getAlterExpressions().isEmpty()) return false;
      for (net.sf.jsqlparser.statement.alter.AlterExpression x : a.getAlterExpressions()) {
        if (x.getOperation() != net.sf.jsqlparser.statement.alter.AlterOperation.ADD) return false;
      }
      return true;
    } catch (Exception | StackOverflowError notSql) {
      return false;
    }
  }

  /** {@code column} holds {@code value} (NULLs compare equal). */
  static String holds(String column, String value) {
    return value.equals("NULL") ? column + " IS NULL" : column + " IS NOT DISTINCT FROM (" + value + ")";
  }

  /**
   * Whether a catalog default is a constant: literals, signs, parentheses and casts of those
   * ({@code 0}, {@code 'n/a'::character varying}, {@code '-1'::integer}, {@code DATE '2020-01-01'}).
   * Anything else (functions, sequences, the current time) is not: its value cannot be compared.
   */
  static boolean isConstant(String expression) {
    try {
      return isConstant(net.sf.jsqlparser.parser.CCJSqlParserUtil.parseExpression(expression));
    } catch (Exception | StackOverflowError notSql) {
      return false;
    }
  }

  private static boolean isConstant(net.sf.jsqlparser.expression.Expression x) {
    if (x instanceof net.sf.jsqlparser.expression.NullValue || x instanceof net.sf.jsqlparser.expression.LongValue
        || x instanceof net.sf.jsqlparser.expression.DoubleValue || x instanceof net.sf.jsqlparser.expression.StringValue
        || x instanceof net.sf.jsqlparser.expression.HexValue || x instanceof net.sf.jsqlparser.expression.BooleanValue
        || x instanceof net.sf.jsqlparser.expression.DateTimeLiteralExpression) {
      return true;
    }
    if (x instanceof net.sf.jsqlparser.schema.Column col) {
      String n = col.getFullyQualifiedName();
      return n.equalsIgnoreCase("true") || n.equalsIgnoreCase("false");
    }
    if (x instanceof net.sf.jsqlparser.expression.SignedExpression s) return isConstant(s.getExpression());
    if (x instanceof net.sf.jsqlparser.expression.CastExpression cast) return isConstant(cast.getLeftExpression());
    if (x instanceof net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList<?> p) {
      return p.size() == 1 && isConstant(p.get(0));
    }
    return false;
  }

  // ------------------------------------------------------------------ restore

  /** The SQL that restores rows {@code rb_seq} in ({@code ?}, {@code ?}] of {@code e}. */
  public String restoreSql(Connection c, Entry e) throws SQLException {
    Names.ResolvedTable t = Names.resolve(c, e.sourceTable());
    if (t == null) {
      throw new MigrationException("cannot restore the data archived by " + e.origin() + " (archive " + schema + "." + e.archiveTable()
          + "): the undo script did not re-create table " + e.sourceTable());
    }
    String arch = table(e.archiveTable());
    if (!e.kind().columnsMode()) {
      List<String> cols = new ArrayList<>();
      for (String col : e.columns()) {
        if (!t.hasColumn(col)) {
          throw new MigrationException("cannot restore the rows archived by " + e.origin() + " (archive " + schema + "." + e.archiveTable()
              + "): table " + e.sourceTable() + " has no column " + col + " after the undo script, so its archived values would be lost");
        }
        cols.add(Names.quote(t.column(col)));
      }
      List<String> src = new ArrayList<>();
      for (String col : e.columns()) src.add("a." + Names.quote(col));
      String sql = "INSERT INTO " + t.qualified() + " (" + String.join(", ", cols) + ") SELECT " + String.join(", ", src) + " FROM " + arch
          + " a WHERE a.rb_seq > ? AND a.rb_seq <= ?";
      if (!e.key().isEmpty()) {
        sql += " AND NOT EXISTS (SELECT 1 FROM " + t.qualified() + " x WHERE " + keyJoin("x", "a", e.key(), t) + ")";
      }
      return sql;
    }
    for (String col : e.columns()) {
      if (!t.hasColumn(col)) {
        throw new MigrationException("cannot restore the values archived by " + e.origin() + " (archive " + schema + "." + e.archiveTable()
            + "): the undo script did not re-create column " + e.sourceTable() + "." + col);
      }
    }
    List<String> src = new ArrayList<>();
    for (String k : e.key()) src.add("a." + Names.quote(k));
    for (String col : e.columns()) if (!e.key().contains(col)) src.add("a." + Names.quote(col));
    String join = "";
    List<String> unchanged = new ArrayList<>();
    if (e.afterTable() != null) {
      for (int i = 0; i < e.columns().size(); i++) src.add("f.rb_after_" + i);
      List<String> on = new ArrayList<>();
      for (String k : e.key()) on.add("f." + Names.quote(k) + " = a." + Names.quote(k));
      join = " LEFT JOIN " + table(e.afterTable()) + " f ON " + String.join(" AND ", on);
      for (int i = 0; i < e.columns().size(); i++) {
        unchanged.add("x." + Names.quote(t.column(e.columns().get(i))) + " IS NOT DISTINCT FROM s.rb_after_" + i);
      }
    }
    List<String> on = new ArrayList<>();
    for (String k : e.key()) on.add("x." + Names.quote(t.column(k)) + " = s." + Names.quote(k));
    // a re-created column: refill only rows that still hold what the undo script left there
    List<@Nullable String> guards = e.afterTable() == null ? refillGuards(e) : null;
    List<String> set = new ArrayList<>();
    List<String> differs = new ArrayList<>();
    for (int i = 0; i < e.columns().size(); i++) {
      String col = e.columns().get(i);
      String target = "x." + Names.quote(t.column(col));
      String differ = target + " IS DISTINCT FROM s." + Names.quote(col);
      String guard = guards == null ? null : guards.get(i);
      if (guard == null) {
        set.add(Names.quote(t.column(col)) + " = s." + Names.quote(col));
        differs.add(differ);
      } else {
        String untouched = holds(target, guard);
        set.add(Names.quote(t.column(col)) + " = " + (e.columns().size() == 1 ? "s." + Names.quote(col)
            : "CASE WHEN " + untouched + " THEN s." + Names.quote(col) + " ELSE " + target + " END"));
        differs.add("(" + untouched + " AND " + differ + ")");
      }
    }
    // rows that already hold the archived values (e.g. NULL in a re-added column) are not rewritten
    List<String> when = new ArrayList<>(unchanged);
    when.add("(" + String.join(" OR ", differs) + ")");
    // every column refilled only where it is still NULL: an archived row of NULLs can change nothing,
    // so it is not looked up at all (in a sparse column, most of the archive)
    String someValue = "";
    if (guards != null && !guards.contains(null) && guards.stream().allMatch("NULL"::equals)) {
      List<String> any = new ArrayList<>();
      for (String col : e.columns()) any.add("a." + Names.quote(col) + " IS NOT NULL");
      someValue = " AND (" + String.join(" OR ", any) + ")";
    }
    return "MERGE INTO " + t.qualified() + " x USING (SELECT " + String.join(", ", src) + " FROM " + arch + " a" + join
        + " WHERE a.rb_seq > ? AND a.rb_seq <= ?" + someValue + ") s ON (" + String.join(" AND ", on) + ") WHEN MATCHED AND "
        + String.join(" AND ", when) + " THEN UPDATE SET " + String.join(", ", set);
  }

  /**
   * Whether the restore of {@code e} joins the archive slice to the table by its primary key only
   * (no after-image join). Such a batch is best done as a nested loop over the key's index, each
   * batch costing its own rows; the planner, which cannot see that a batch is a small slice of a
   * large table, otherwise picks a hash join that scans the whole table once per batch.
   */
  public boolean joinsByKeyOnly(Entry e) {
    return e.afterTable() == null;
  }

  /** Records a committed batch, rows {@code rb_seq} in ({@code from}, {@code to}], in the caller's transaction. */
  public void recordBatch(Connection c, Entry e, long from, long to, long restored) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + batches() + " VALUES (?, ?, ?, ?)")) {
      ps.setLong(1, e.id());
      ps.setLong(2, from);
      ps.setLong(3, to);
      ps.setLong(4, restored);
      ps.executeUpdate();
    }
  }

  /**
   * The {@code rb_seq} ranges of {@code e} no committed batch covered, split into batches of at
   * most {@code batchSize} rows, in {@code rb_seq} order. Everything up to {@code restored_upto}
   * (the progress of a restore that ran before batches were recorded one by one) counts as done.
   */
  public List<long[]> missingRanges(Connection c, Entry e, int batchSize) throws SQLException {
    List<long[]> out = new ArrayList<>();
    long lo = e.restoredUpto();
    try (PreparedStatement ps = c.prepareStatement("SELECT \"seq_from\", \"seq_to\" FROM " + batches()
        + " WHERE \"archive_id\" = ? ORDER BY \"seq_from\"")) {
      ps.setLong(1, e.id());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long from = rs.getLong(1);
          long to = rs.getLong(2);
          if (from > lo) split(out, lo, from, batchSize);
          lo = Math.max(lo, to);
        }
      }
    }
    split(out, lo, e.rows(), batchSize);
    return out;
  }

  private static void split(List<long[]> out, long from, long to, int batchSize) {
    for (long lo = from; lo < to; lo += batchSize) out.add(new long[] {lo, Math.min(to, lo + batchSize)});
  }

  /** Rows of {@code e} restored so far, by this and earlier attempts. */
  public long restoredSoFar(Connection c, Entry e) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT COALESCE(SUM(\"rows_restored\"), 0) FROM " + batches()
        + " WHERE \"archive_id\" = ?")) {
      ps.setLong(1, e.id());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return e.rowsRestored() + rs.getLong(1);
      }
    }
  }

  /** How many of the archived rows of {@code e} the committed batches cover (for a resume's note). */
  public long coveredSoFar(Connection c, Entry e) throws SQLException {
    long covered = 0;
    for (long[] r : missingRanges(c, e, Integer.MAX_VALUE)) covered += r[1] - r[0];
    return e.rows() - covered;
  }

  /**
   * Once every batch committed: folds the batch rows into the index row (all rows restored,
   * their count, phase RESTORED) and deletes them, in the caller's transaction.
   */
  public void finishRestore(Connection c, Entry e) throws SQLException {
    long restored = restoredSoFar(c, e);
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + index() + " SET \"restored_upto\" = ?, \"rows_restored\" = ?,"
        + " \"phase\" = '" + RESTORED + "' WHERE \"id\" = ?")) {
      ps.setLong(1, e.rows());
      ps.setLong(2, restored);
      ps.setLong(3, e.id());
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + batches() + " WHERE \"archive_id\" = ?")) {
      ps.setLong(1, e.id());
      ps.executeUpdate();
    }
  }

  /** After a rebuild: every archived row restored at once ({@code restored} values put back). */
  void finishRebuild(Connection c, Entry e, long restored) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + index() + " SET \"restored_upto\" = ?, \"rows_restored\" = ?,"
        + " \"phase\" = '" + RESTORED + "' WHERE \"id\" = ?")) {
      ps.setLong(1, e.rows());
      ps.setLong(2, restored);
      ps.setLong(3, e.id());
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + batches() + " WHERE \"archive_id\" = ?")) {
      ps.setLong(1, e.id());
      ps.executeUpdate();
    }
  }

  public void markRestored(Connection c, Entry e) throws SQLException {
    try (Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE " + index() + " SET \"phase\" = '" + RESTORED + "' WHERE \"id\" = " + e.id());
    }
  }

  // ------------------------------------------------------------------ retention

  /** Drops archive tables created before {@code cutoff}; their index rows stay, marked EXPIRED. */
  public int expire(Connection c, Instant cutoff) throws SQLException {
    int n = 0;
    for (Entry e : all(c)) {
      if (e.createdAt().isBefore(cutoff) && !e.phase().equals(EXPIRED) && !e.phase().equals(REVERTED)) {
        try (Statement st = c.createStatement()) {
          if (e.isKeptInPlace()) {
            // the kept column is the archive: dropped like any archive (a brief lock); after a
            // rollback (RESTORED) it was swapped back or dropped already
            Names.ResolvedTable t = e.phase().equals(ARCHIVED) ? Names.resolve(c, e.sourceTable()) : null;
            if (t != null && t.hasColumn(e.archiveTable())) {
              st.execute("ALTER TABLE " + t.qualified() + " DROP COLUMN " + Names.quote(t.column(e.archiveTable())));
            }
            st.executeUpdate("UPDATE " + index() + " SET \"phase\" = '" + EXPIRED + "' WHERE \"id\" = " + e.id());
            n++;
            continue;
          }
          st.execute("DROP TABLE IF EXISTS " + table(e.archiveTable()));
          if (e.afterTable() != null) st.execute("DROP TABLE IF EXISTS " + table(e.afterTable()));
          st.executeUpdate("UPDATE " + index() + " SET \"phase\" = '" + EXPIRED + "' WHERE \"id\" = " + e.id());
        }
        n++;
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ helpers

  static String keyJoin(String x, String a, List<String> key, Names.ResolvedTable t) {
    List<String> on = new ArrayList<>();
    for (String k : key) on.add(x + "." + Names.quote(t.column(k)) + " = " + a + "." + Names.quote(k));
    return String.join(" AND ", on);
  }

  static long count(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM " + table)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static long nextId(Connection c, String table) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT MAX(\"id\") FROM " + table)) {
      rs.next();
      return rs.getLong(1) + 1;
    }
  }

  public static String lower(String s) {
    return s.toLowerCase(Locale.ROOT);
  }
}
