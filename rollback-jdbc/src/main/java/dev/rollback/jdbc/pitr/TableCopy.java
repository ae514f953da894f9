package dev.rollback.jdbc.pitr;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

/**
 * Copies a table, or the rows of it a condition selects, from the recovered copy into the live
 * database, in one live transaction: the recovered rows stream ({@code COPY … TO STDOUT} into
 * {@code COPY … FROM STDIN}, binary when the column types agree) into a temporary table; rows whose
 * values differ are exported (their live version, locked {@code FOR UPDATE}) and overwritten; rows
 * missing in the live table are inserted; rows inserted since (present live, absent in the copy)
 * are kept, or exported and removed when asked. The export file is forced to disk before the
 * commit. Rows that already equal the recovered ones are not written.
 */
final class TableCopy {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(TableCopy.class);
  /** Types without an equality operator: compared as text. */
  private static final Set<String> NO_EQUALITY = Set.of("json", "xml", "point", "line", "lseg", "box", "path", "polygon", "circle");

  private TableCopy() {}

  static SideBySideRestore.TableResult copy(Connection recovered, Connection live, String table, @Nullable String condition,
      boolean removeLater, Path exportFile) throws SQLException {
    Tables.Table rec = Tables.find(recovered, table).orElseThrow(() -> new PitrException("table " + table
        + " does not exist in the recovered copy: it was created after the recovery target; nothing was copied"));
    Tables.Table lv = Tables.find(live, table).orElseThrow(() -> new PitrException("table " + table
        + " does not exist in the live database: re-create it first (or restore the whole cluster); nothing was copied"));
    if (lv.key().isEmpty()) {
      throw new PitrException("table " + lv.qualified() + " has no primary key in the live database: rows cannot be matched"
          + " by key; nothing was copied");
    }
    List<String> common = new ArrayList<>();
    boolean sameTypes = true;
    for (var e : lv.columns().entrySet()) {
      String recType = rec.columns().get(e.getKey());
      if (recType == null) continue;
      common.add(e.getKey());
      if (!recType.equals(e.getValue())) sameTypes = false;
    }
    for (String k : lv.key()) {
      if (!common.contains(k)) {
        throw new PitrException("the key column " + k + " of " + lv.qualified() + " is not in the recovered copy's table;"
            + " nothing was copied");
      }
    }
    String where = condition == null ? "" : " WHERE (" + condition + ")";
    String cols = lv.quotedColumns(common, "");
    String format = sameTypes ? "binary" : "text";
    boolean autoCommit = live.getAutoCommit();
    long started = System.nanoTime();
    live.setAutoCommit(false);
    long copied;
    try {
      try (Statement st = live.createStatement()) {
        st.execute("SET LOCAL work_mem = '256MB'");
        st.execute("CREATE TEMP TABLE rb_pitr_stage ON COMMIT DROP AS SELECT " + cols + " FROM " + lv.qualified() + " WITH NO DATA");
      }
      CopyOut out = recovered.unwrap(PGConnection.class).getCopyAPI().copyOut(
          "COPY (SELECT " + cols + " FROM " + rec.qualified() + where + ") TO STDOUT (FORMAT " + format + ")");
      CopyIn in = live.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY rb_pitr_stage FROM STDIN (FORMAT " + format + ")");
      try {
        byte[] buf;
        while ((buf = out.readFromCopy()) != null) in.writeToCopy(buf, 0, buf.length);
        copied = in.endCopy();
      } finally {
        if (in.isActive()) in.cancelCopy();
        if (out.isActive()) out.cancelCopy();
      }
      long streamed = System.nanoTime();
      List<String> keyCols = lv.key();
      String keyJoin = String.join(" AND ", keyCols.stream().map(k -> "l." + Tables.quote(k) + " = s." + Tables.quote(k)).toList());
      List<String> valueCols = common.stream().filter(c -> !keyCols.contains(c)).toList();
      String differs = valueCols.isEmpty() ? "false"
          : "(" + compared(valueCols, lv, "l") + ") IS DISTINCT FROM (" + compared(valueCols, lv, "s") + ")";
      long overwritten = 0;
      long reinserted;
      long removed = 0;
      long kept = 0;
      long missing;
      try (Statement st = live.createStatement();
           ExportWriter export = new ExportWriter(exportFile, lv.qualified())) {
        st.execute("ANALYZE rb_pitr_stage");
        // one pass over both: the recovered rows that are missing live or differ from it; nothing else is written
        st.execute("CREATE TEMP TABLE rb_pitr_diff ON COMMIT DROP AS SELECT s.*, l." + Tables.quote(keyCols.get(0))
            + " IS NULL AS rb_missing FROM rb_pitr_stage s LEFT JOIN " + lv.qualified() + " l ON " + keyJoin + " WHERE l."
            + Tables.quote(keyCols.get(0)) + " IS NULL OR " + differs);
        try (ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE rb_missing) FROM rb_pitr_diff")) {
          rs.next();
          missing = rs.getLong(1);
        }
        long diffed = System.nanoTime();
        if (!valueCols.isEmpty()) {
          String keyList = lv.quotedColumns(keyCols, "");
          String set = String.join(", ", valueCols.stream().map(c -> Tables.quote(c) + " = s." + Tables.quote(c)).toList());
          // the live version of each row is locked, exported, then overwritten, in one statement
          try (ResultSet rs = st.executeQuery("WITH old AS (SELECT l.* FROM " + lv.qualified() + " l JOIN rb_pitr_diff s ON "
              + keyJoin + " WHERE NOT s.rb_missing AND " + differs + " FOR UPDATE OF l), upd AS (UPDATE " + lv.qualified()
              + " l SET " + set + " FROM rb_pitr_diff s WHERE " + keyJoin + " AND (" + lv.quotedColumns(keyCols, "l")
              + ") IN (SELECT " + keyList + " FROM old) RETURNING 1) SELECT row_to_json(old)::text FROM old")) {
            while (rs.next()) {
              export.write("overwritten", rs.getString(1));
              overwritten++;
            }
          }
        }
        try (ResultSet rs = st.executeQuery("INSERT INTO " + lv.qualified() + " AS l (" + cols + ") SELECT " + cols
            + " FROM rb_pitr_diff s WHERE s.rb_missing ON CONFLICT DO NOTHING RETURNING row_to_json(l)::text")) {
          long n = 0;
          while (rs.next()) {
            export.write("reinserted", rs.getString(1));
            n++;
          }
          reinserted = n;
        }
        if (removeLater) {
          String onlyLive = "NOT EXISTS (SELECT 1 FROM rb_pitr_stage s WHERE " + keyJoin + ")"
              + (condition == null ? "" : " AND (" + condition + ")");
          try (ResultSet rs = st.executeQuery("DELETE FROM " + lv.qualified() + " l WHERE " + onlyLive
              + " RETURNING row_to_json(l)::text")) {
            while (rs.next()) {
              export.write("removed", rs.getString(1));
              removed++;
            }
          }
        } else {
          // live rows in scope that the recovered copy does not have: inserted since, and kept
          try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + lv.qualified() + where)) {
            rs.next();
            kept = Math.max(0, rs.getLong(1) - (copied - missing) - reinserted);
          }
        }
        export.force();
        log.info("copy of {}{}: {} rows streamed in {} ms, compared in {} ms, written in {} ms", lv.qualified(),
            condition == null ? "" : " where " + condition, copied, (streamed - started) / 1_000_000,
            (diffed - streamed) / 1_000_000, (System.nanoTime() - diffed) / 1_000_000);
      }
      live.commit();
      return new SideBySideRestore.TableResult(lv.qualified(), condition, copied, overwritten, reinserted, removed, kept,
          overwritten + reinserted + removed == 0 ? null : exportFile);
    } catch (SQLException | RuntimeException e) {
      live.rollback();
      markNotApplied(exportFile);
      throw e;
    } finally {
      live.setAutoCommit(autoCommit);
    }
  }

  private static String compared(List<String> cols, Tables.Table t, String alias) {
    List<String> out = new ArrayList<>();
    for (String c : cols) {
      String type = t.columns().get(c);
      String ref = alias + "." + Tables.quote(c);
      out.add(type != null && NO_EQUALITY.contains(type) ? ref + "::text" : ref);
    }
    return String.join(", ", out);
  }

  private static void markNotApplied(Path exportFile) {
    try {
      if (Files.exists(exportFile)) {
        Files.move(exportFile, exportFile.resolveSibling(exportFile.getFileName() + ".not-applied"));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot mark " + exportFile + " as not applied", e);
    }
  }

  /** JSON lines, one per row, created on the first row. */
  static final class ExportWriter implements AutoCloseable {
    private final Path file;
    private final String table;
    private @Nullable FileChannel channel;
    private @Nullable BufferedWriter writer;

    ExportWriter(Path file, String table) {
      this.file = file;
      this.table = table;
    }

    void write(String change, String rowJson) {
      write(table, change, rowJson);
    }

    void write(String tableName, String change, String rowJson) {
      try {
        if (writer == null) {
          Files.createDirectories(file.getParent());
          channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          OutputStream os = Channels.newOutputStream(channel);
          writer = new BufferedWriter(new OutputStreamWriter(os, StandardCharsets.UTF_8), 1 << 16);
        }
        writer.write("{\"table\":" + jsonString(tableName) + ",\"change\":\"" + change + "\",\"row\":" + rowJson + "}\n");
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the export " + file, e);
      }
    }

    void force() {
      try {
        if (writer != null && channel != null) {
          writer.flush();
          channel.force(true);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the export " + file, e);
      }
    }

    @Override
    public void close() {
      try {
        if (writer != null) writer.close();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot close the export " + file, e);
      }
    }
  }

  static String jsonString(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> {
          if (ch < 0x20) sb.append(String.format("\\u%04x", (int) ch));
          else sb.append(ch);
        }
      }
    }
    return sb.append('"').toString();
  }
}
