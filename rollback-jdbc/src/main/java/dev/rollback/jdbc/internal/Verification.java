package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.Fingerprint;
import dev.rollback.jdbc.RollbackSummary.Mismatch;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What {@code verifying(table)} compares after a migration's rollback: what the rollback
 * restored, not what the application wrote since.
 *
 * <p>Before the migration runs, the rows of each verified table with a primary key are copied
 * (key and verified columns) into a snapshot table of the archive schema. After the migration's
 * undo and restore, for every archive entry of that migration on the table:
 * <ul>
 *   <li>rows the migration removed (a dropped table, deleted or truncated rows) must be back, with
 *       every verified column as it was;</li>
 *   <li>columns the migration dropped or rewrote must hold their values from before the change, in
 *       every row that existed before and still exists; where the column stayed visible to the
 *       application (an UPDATE, a type change) a value the application wrote after the migration
 *       counts as the application's (the archive's after-image tells the two apart), and only a
 *       value still equal to what the migration left, yet different from before, is a mismatch.</li>
 * </ul>
 * Rows inserted or deleted by the application, and columns the migration did not archive, are
 * not compared. The table must exist after the rollback exactly when it existed before. A table
 * without a primary key cannot be compared row by row: it is compared whole by its
 * {@link Fingerprint}, so any later write to it fails the verification.
 */
final class Verification {
  /** Sample rows kept per table and column as evidence. */
  static final int SAMPLES = 5;

  private final Archive archive;

  Verification(Archive archive) {
    this.archive = archive;
  }

  /** The snapshot table of one verified table before one migration. */
  static String snapshotName(String version, int rank, int index) {
    return "vs_" + version.replaceAll("[^0-9A-Za-z]", "_") + "_" + rank + "_" + index;
  }

  /**
   * Copies the key and the verified columns of {@code table} into the archive schema; null when
   * the table does not exist or has no primary key (it is then compared by fingerprint).
   */
  @Nullable String snapshot(Connection c, String version, int rank, int index, String table, List<String> chosen) throws SQLException {
    Names.ResolvedTable t = Names.resolve(c, table);
    if (t == null || !t.hasKey()) return null;
    Set<String> cols = new LinkedHashSet<>(t.primaryKey());
    if (chosen.isEmpty()) cols.addAll(t.columns());
    else for (String col : chosen) cols.add(t.column(col));
    List<String> select = new ArrayList<>();
    for (String col : cols) select.add("x." + Names.quote(col));
    String name = snapshotName(version, rank, index);
    try (Statement st = c.createStatement()) {
      st.execute("DROP TABLE IF EXISTS " + archive.table(name));
      st.execute("CREATE TABLE " + archive.table(name) + " AS SELECT " + String.join(", ", select) + " FROM " + t.qualified() + " x");
    }
    return name;
  }

  /** Drops the snapshots taken before {@code cutoff}; their tables are then compared by fingerprint. */
  int expire(Connection c, String fingerprints, Instant cutoff) throws SQLException {
    List<String> old = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT \"snapshot_table\" FROM " + fingerprints
        + " WHERE \"snapshot_table\" IS NOT NULL AND \"created_at\" < ?")) {
      ps.setTimestamp(1, Timestamp.from(cutoff));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) old.add(rs.getString(1));
      }
    }
    try (Statement st = c.createStatement()) {
      for (String name : old) {
        st.execute("DROP TABLE IF EXISTS " + archive.table(name));
        st.executeUpdate("UPDATE " + fingerprints + " SET \"snapshot_table\" = NULL WHERE \"snapshot_table\" = '" + name + "'");
      }
    }
    return old.size();
  }

  /**
   * Compares {@code table} after the rollback of V{@code version} (history rank {@code rank});
   * adds samples to {@code samples} and one line per differing column to {@code lines}. Drops the
   * snapshot.
   */
  void compare(Connection c, String version, int rank, String table, Fingerprint before, @Nullable String snapshot,
      List<Mismatch> samples, List<String> lines) throws SQLException {
    try {
      Names.ResolvedTable t = Names.resolve(c, table);
      if (before.exists() != (t != null)) {
        samples.add(new Mismatch(table, "(table)", "-", before.exists() ? "exists" : "absent", t != null ? "exists" : "absent"));
        lines.add(table + (before.exists() ? " existed before the change but is missing after the rollback"
            : " did not exist before the change but exists after the rollback"));
        return;
      }
      if (t == null) return;
      Names.ResolvedTable snap = snapshot == null ? null
          : Names.resolve(c, Names.quote(archive.schema()) + "." + Names.quote(snapshot));
      if (snap == null || !t.hasKey()) {
        wholeTable(c, table, before, samples, lines);
        return;
      }
      for (Archive.Entry e : archive.forMigration(c, version, rank)) {
        if (e.archiveTable().equals("-") || e.key().isEmpty()) continue; // nothing archived
        Names.ResolvedTable source = Names.resolve(c, e.sourceTable());
        if (source == null || !source.qualified().equals(t.qualified())) continue;
        compareEntry(c, t, snap, e, samples, lines);
      }
    } finally {
      if (snapshot != null) {
        try (Statement st = c.createStatement()) {
          st.execute("DROP TABLE IF EXISTS " + archive.table(snapshot));
        }
      }
    }
  }

  private void compareEntry(Connection c, Names.ResolvedTable t, Names.ResolvedTable snap, Archive.Entry e, List<Mismatch> samples,
      List<String> lines) throws SQLException {
    List<String> key = t.primaryKey();
    String sx = on("s", "x", key, key);
    String s = archive.table(snap.name());
    List<String> cols = new ArrayList<>();
    List<Integer> afterIndex = new ArrayList<>();
    boolean rowsMode = !e.kind().columnsMode();
    List<String> entryCols = rowsMode ? snap.columns() : e.columns();
    for (int i = 0; i < entryCols.size(); i++) {
      String col = entryCols.get(i);
      if (col.isBlank() || !t.hasColumn(col) || !snap.hasColumn(col)) continue;
      String name = t.column(col);
      if (key.contains(name) || cols.contains(name)) continue;
      cols.add(name);
      afterIndex.add(i);
    }
    String archived = "";
    if (rowsMode) {
      // the rows this entry archived (the rows the migration removed) must be back
      archived = " JOIN " + archive.table(e.archiveTable()) + " a ON " + on("s", "a", key, e.key());
      String sql = "SELECT " + keys("s", key) + " FROM " + s + " s" + archived + " WHERE NOT EXISTS (SELECT 1 FROM " + t.qualified()
          + " x WHERE " + sx + ")";
      collect(c, sql, t, key, "(row)", true, samples, lines);
    }
    String after = "";
    boolean withAfter = !rowsMode && e.afterTable() != null;
    if (withAfter) after = " JOIN " + archive.table(e.afterTable()) + " f ON " + on("f", "s", key, key);
    for (int i = 0; i < cols.size(); i++) {
      String q = Names.quote(cols.get(i));
      String differs = text("s." + q) + " IS DISTINCT FROM " + text("x." + q);
      // a value the application wrote after the migration (it differs from what the migration left) is the application's
      String notWritten = withAfter ? " AND " + text("x." + q) + " IS NOT DISTINCT FROM " + text("f.rb_after_" + afterIndex.get(i)) : "";
      String sql = "SELECT " + keys("s", key) + ", " + text("s." + q) + ", " + text("x." + q) + " FROM " + s + " s JOIN " + t.qualified()
          + " x ON " + sx + archived + after + " WHERE " + differs + notWritten;
      collect(c, sql, t, key, cols.get(i), false, samples, lines);
    }
  }

  private static void collect(Connection c, String sql, Names.ResolvedTable t, List<String> key, String column, boolean missing,
      List<Mismatch> samples, List<String> lines) throws SQLException {
    long n = 0;
    List<String> keys = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        n++;
        if (keys.size() >= SAMPLES) continue;
        StringBuilder k = new StringBuilder();
        for (int i = 0; i < key.size(); i++) {
          if (i > 0) k.append(',');
          k.append(key.get(i).toLowerCase(Locale.ROOT)).append('=').append(rs.getString(i + 1));
        }
        keys.add(k.toString());
        Mismatch m = missing ? new Mismatch(t.written(), column, k.toString(), "present", "missing")
            : new Mismatch(t.written(), column.toLowerCase(Locale.ROOT), k.toString(), rs.getString(key.size() + 1),
                rs.getString(key.size() + 2));
        if (!samples.contains(m)) samples.add(m);
      }
    }
    if (n > 0) {
      String rows = n + (n == 1 ? " row " : " rows ");
      String sample = " (" + String.join("; ", keys) + (n > keys.size() ? "; …" : "") + ")";
      lines.add(missing ? t.written() + ": " + rows + (n == 1 ? "is" : "are") + " missing that the rollback should have put back" + sample
          : t.written() + "." + column.toLowerCase(Locale.ROOT) + ": " + rows + (n == 1 ? "differs" : "differ") + " from before the change"
              + sample);
    }
  }

  /** A table without a primary key (or whose snapshot expired): compared whole by fingerprint. */
  private static void wholeTable(Connection c, String table, Fingerprint before, List<Mismatch> samples, List<String> lines)
      throws SQLException {
    Fingerprint now = Fingerprints.take(c, table, before.columns());
    if (before.matches(now)) return;
    List<Integer> buckets = before.differingBuckets(now);
    List<String> keys = Fingerprints.sampleKeys(c, table, buckets, SAMPLES);
    Fingerprint.Difference d = new Fingerprint.Difference(table, before.exists(), now.exists(), before.rows(), now.rows(),
        buckets.size(), keys);
    samples.add(new Mismatch(table, "(table fingerprint)", keys.isEmpty() ? "-" : String.join("; ", keys), before.rows() + " rows",
        now.rows() + " rows"));
    lines.add(d.summary() + " (compared whole: no primary key, or its snapshot expired)");
  }

  /** Compared as text, so a column the undo script re-created with another type still compares by value. */
  private static String text(String expr) {
    return "CAST(" + expr + " AS VARCHAR)";
  }

  private static String keys(String alias, List<String> key) {
    List<String> out = new ArrayList<>();
    for (String k : key) out.add(alias + "." + Names.quote(k));
    return String.join(", ", out);
  }

  private static String on(String a, String b, List<String> aKey, List<String> bKey) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < aKey.size(); i++) out.add(a + "." + Names.quote(aKey.get(i)) + " = " + b + "." + Names.quote(bKey.get(i)));
    return String.join(" AND ", out);
  }
}
