package dev.rollback.jdbc.pitr;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Compares every table of every database of the live cluster with the recovered copy: rows by
 * primary key (a 64-bit hash of each row's text), or, without a key, as multisets of row hashes.
 * The differing live rows (and the recovered version of rows deleted since) go to an export file.
 */
final class ClusterDiff {
  private ClusterDiff() {}

  static LostWrites lostWrites(PointInTimeRecovery pitr, RecoveredInstance inst, Path exportFile) throws SQLException {
    Map<String, LostWrites.Counts> counts = new LinkedHashMap<>();
    List<String> databases = new ArrayList<>();
    try (Connection c = pitr.live(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")) {
      while (rs.next()) databases.add(rs.getString(1));
    }
    long exported = 0;
    try (TableCopy.ExportWriter export = new TableCopy.ExportWriter(exportFile, "")) {
      for (String db : databases) {
        try (Connection live = pitr.live(db); Connection rec = connectRecovered(inst, db)) {
          List<String> tables = new ArrayList<>(Tables.userTables(live));
          List<String> recTables = rec == null ? List.of() : Tables.userTables(rec);
          for (String t : recTables) if (!tables.contains(t)) tables.add(t);
          for (String t : tables) {
            LostWrites.Counts n = compare(live, rec, db, t, export);
            counts.put(db + "." + t, n);
            exported += n.total();
          }
        }
      }
      export.force();
    }
    return new LostWrites(counts, exported == 0 ? null : exportFile);
  }

  private static Connection connectRecovered(RecoveredInstance inst, String db) throws SQLException {
    try {
      return inst.connect(db);
    } catch (SQLException e) {
      if ("3D000".equals(e.getSQLState())) return null; // the database was created since the target
      throw e;
    }
  }

  private static LostWrites.Counts compare(Connection live, Connection rec, String db, String table,
      TableCopy.ExportWriter export) throws SQLException {
    Tables.Table lt = Tables.find(live, table).orElse(null);
    Tables.Table rt = rec == null ? null : Tables.find(rec, table).orElse(null);
    String name = db + "." + table;
    if (lt == null && rt == null) return new LostWrites.Counts(0, 0, 0);
    if (rt == null) {
      long n = exportAll(live, lt, name, "inserted", export);
      return new LostWrites.Counts(n, 0, 0);
    }
    if (lt == null) {
      long n = exportAll(rec, rt, name, "deleted", export);
      return new LostWrites.Counts(0, 0, n);
    }
    List<String> key = lt.key().equals(rt.key()) ? lt.key() : List.of();
    String keyExpr = key.isEmpty() ? "hashtextextended(t::text, 0)::text" : "ROW(" + lt.quotedColumns(key, "t") + ")::text";
    Map<String, Long> recRows = new HashMap<>();
    Map<String, Integer> recCounts = new HashMap<>();
    String sql = "SELECT " + keyExpr + ", hashtextextended(t::text, 0) FROM " + "%s t";
    try (Statement st = rec.createStatement()) {
      st.setFetchSize(10_000);
      rec.setAutoCommit(false);
      try (ResultSet rs = st.executeQuery(String.format(sql, rt.qualified()))) {
        while (rs.next()) {
          recRows.put(rs.getString(1), rs.getLong(2));
          recCounts.merge(rs.getString(1), 1, Integer::sum);
        }
      }
      rec.commit();
    } finally {
      rec.setAutoCommit(true);
    }
    List<String> inserted = new ArrayList<>();
    List<String> updated = new ArrayList<>();
    try (Statement st = live.createStatement()) {
      live.setAutoCommit(false);
      st.setFetchSize(10_000);
      try (ResultSet rs = st.executeQuery(String.format(sql, lt.qualified()))) {
        while (rs.next()) {
          String k = rs.getString(1);
          if (key.isEmpty()) {
            Integer left = recCounts.get(k);
            if (left == null || left == 0) inserted.add(k);
            else recCounts.put(k, left - 1);
          } else {
            Long h = recRows.remove(k);
            if (h == null) inserted.add(k);
            else if (h != rs.getLong(2)) updated.add(k);
          }
        }
      }
      live.commit();
    } finally {
      live.setAutoCommit(true);
    }
    List<String> deleted = new ArrayList<>();
    if (key.isEmpty()) {
      recCounts.forEach((k, n) -> {
        for (int i = 0; i < n; i++) deleted.add(k);
      });
    } else {
      deleted.addAll(recRows.keySet());
    }
    exportRows(live, lt, keyExpr, name, "inserted", inserted, export);
    exportRows(live, lt, keyExpr, name, "updated", updated, export);
    exportRows(rec, rt, keyExpr, name, "deleted", deleted, export);
    return new LostWrites.Counts(inserted.size(), updated.size(), deleted.size());
  }

  private static long exportAll(Connection c, Tables.Table t, String name, String change, TableCopy.ExportWriter export)
      throws SQLException {
    long n = 0;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT row_to_json(t)::text FROM " + t.qualified() + " t")) {
      while (rs.next()) {
        export.write(name, change, rs.getString(1));
        n++;
      }
    }
    return n;
  }

  private static void exportRows(Connection c, Tables.Table t, String keyExpr, String name, String change, List<String> keys,
      TableCopy.ExportWriter export) throws SQLException {
    for (int i = 0; i < keys.size(); i += 10_000) {
      List<String> batch = keys.subList(i, Math.min(keys.size(), i + 10_000));
      try (PreparedStatement ps = c.prepareStatement("SELECT row_to_json(t)::text FROM " + t.qualified() + " t WHERE "
          + keyExpr + " = ANY(?)")) {
        ps.setArray(1, c.createArrayOf("text", batch.toArray()));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) export.write(name, change, rs.getString(1));
        }
      }
    }
  }
}
