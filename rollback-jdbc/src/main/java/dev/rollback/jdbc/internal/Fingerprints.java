package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.Fingerprint;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Computes {@link Fingerprint}s by streaming a table once. */
public final class Fingerprints {
  private Fingerprints() {}

  public static Fingerprint take(Connection c, String table, List<String> chosen) throws SQLException {
    Names.ResolvedTable t = Names.resolve(c, table);
    long[] sums = new long[Fingerprint.BUCKETS];
    long[] counts = new long[Fingerprint.BUCKETS];
    if (t == null) return new Fingerprint(table, chosen, false, 0, 0, sums, counts);
    List<String> cols = columnsOf(t, chosen);
    List<String> key = t.hasKey() ? t.primaryKey() : List.of();
    if (Dialect.of(c) == Dialect.POSTGRES) return inPostgres(c, t, table, chosen, cols, key);
    String sql = "SELECT " + select(cols, key) + " FROM " + t.qualified();
    long[] nameHashes = new long[cols.size()];
    for (int i = 0; i < cols.size(); i++) nameHashes[i] = fnv(0xcbf29ce484222325L, cols.get(i).toLowerCase(Locale.ROOT));
    long rows = 0;
    long checksum = 0;
    boolean auto = c.getAutoCommit();
    if (auto) c.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
    try (Statement st = c.createStatement()) {
      st.setFetchSize(5000);
      try (ResultSet rs = st.executeQuery(sql)) {
        while (rs.next()) {
          long h = rowHash(rs, nameHashes);
          int b = bucket(key.isEmpty() ? h : keyHash(rs, cols.size(), key.size()));
          sums[b] += h;
          counts[b]++;
          checksum += h;
          rows++;
        }
      }
    } finally {
      if (auto) {
        c.commit();
        c.setAutoCommit(true);
      }
    }
    return new Fingerprint(table, chosen, true, rows, checksum, sums, counts);
  }

  /**
   * On PostgreSQL the hashing runs in the server ({@code hashtextextended} over a text rendering
   * of each row, summed per key bucket), so only 64 rows cross the wire. Fingerprints are only
   * compared with fingerprints from the same database, so the two implementations never meet.
   */
  private static Fingerprint inPostgres(Connection c, Names.ResolvedTable t, String table, List<String> chosen, List<String> cols,
      List<String> key) throws SQLException {
    String rowHash = "hashtextextended(" + pgText(cols, true) + ", 7)";
    String bucket = key.isEmpty() ? "(" + rowHash + " >> 58) & 63" : "(hashtextextended(" + pgText(key, false) + ", 0) >> 58) & 63";
    String sql = "SELECT b, count(*), sum(h)::text FROM (SELECT " + bucket + " AS b, " + rowHash + " AS h FROM " + t.qualified()
        + ") x GROUP BY b";
    long[] sums = new long[Fingerprint.BUCKETS];
    long[] counts = new long[Fingerprint.BUCKETS];
    long rows = 0;
    long checksum = 0;
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      while (rs.next()) {
        int b = rs.getInt(1);
        counts[b] = rs.getLong(2);
        sums[b] = new java.math.BigInteger(rs.getString(3)).longValue(); // the low 64 bits: a sum modulo 2^64
        rows += counts[b];
        checksum += sums[b];
      }
    }
    return new Fingerprint(table, chosen, true, rows, checksum, sums, counts);
  }

  /** A text rendering of the columns that tells NULL from any value and keeps column boundaries. */
  private static String pgText(List<String> cols, boolean withNames) {
    List<String> parts = new ArrayList<>();
    for (String col : cols) {
      String q = Names.quote(col);
      String value = "CASE WHEN " + q + " IS NULL THEN chr(2) ELSE chr(4) || " + q + "::text END";
      parts.add(withNames ? "'" + col.toLowerCase(Locale.ROOT).replace("'", "''") + "' || chr(1) || " + value : value);
    }
    return parts.isEmpty() ? "''" : String.join(" || chr(3) || ", parts);
  }

  /** Keys (rendered "col=value") of rows now in the given buckets, at most {@code limit}. */
  public static List<String> sampleKeys(Connection c, String table, List<Integer> buckets, int limit) throws SQLException {
    Names.ResolvedTable t = Names.resolve(c, table);
    List<String> out = new ArrayList<>();
    if (t == null || !t.hasKey() || buckets.isEmpty()) return out;
    Set<Integer> wanted = Set.copyOf(buckets);
    List<String> key = t.primaryKey();
    if (Dialect.of(c) == Dialect.POSTGRES) {
      StringBuilder in = new StringBuilder();
      for (int b : wanted) in.append(in.length() == 0 ? "" : ", ").append(b);
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + select(List.of(), key) + " FROM "
          + t.qualified() + " WHERE ((hashtextextended(" + pgText(key, false) + ", 0) >> 58) & 63) IN (" + in + ") LIMIT " + limit)) {
        while (rs.next()) {
          StringBuilder sb = new StringBuilder();
          for (int i = 0; i < key.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(key.get(i).toLowerCase(Locale.ROOT)).append('=').append(rs.getString(i + 1));
          }
          out.add(sb.toString());
        }
      }
      return out;
    }
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT " + select(List.of(), key) + " FROM " + t.qualified())) {
      while (rs.next() && out.size() < limit) {
        if (wanted.contains(bucket(keyHash(rs, 0, key.size())))) {
          StringBuilder sb = new StringBuilder();
          for (int i = 0; i < key.size(); i++) {
            if (i > 0) sb.append(',');
            sb.append(key.get(i).toLowerCase(Locale.ROOT)).append('=').append(rs.getString(i + 1));
          }
          out.add(sb.toString());
        }
      }
    }
    return out;
  }

  private static List<String> columnsOf(Names.ResolvedTable t, List<String> chosen) {
    List<String> cols = new ArrayList<>();
    if (chosen.isEmpty()) cols.addAll(t.columns());
    else for (String c : chosen) cols.add(t.column(c));
    // name order, so a column dropped and added back (now last) hashes the same
    cols.sort(Comparator.comparing(s -> s.toLowerCase(Locale.ROOT)));
    return cols;
  }

  private static String select(List<String> cols, List<String> key) {
    List<String> all = new ArrayList<>();
    for (String c : cols) all.add(Names.quote(c));
    for (String k : key) all.add(Names.quote(k));
    return all.isEmpty() ? "1" : String.join(", ", all);
  }

  private static long rowHash(ResultSet rs, long[] nameHashes) throws SQLException {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < nameHashes.length; i++) {
      h = (h ^ nameHashes[i]) * 0x100000001b3L;
      String v = rs.getString(i + 1);
      h = v == null ? (h ^ 0x01) * 0x100000001b3L : fnv((h ^ 0x02) * 0x100000001b3L, v);
    }
    return mix(h);
  }

  private static long keyHash(ResultSet rs, int offset, int n) throws SQLException {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < n; i++) {
      String v = rs.getString(offset + i + 1);
      h = v == null ? (h ^ 0x01) * 0x100000001b3L : fnv(h, v);
    }
    return mix(h);
  }

  private static int bucket(long h) {
    return (int) ((h >>> 58) & (Fingerprint.BUCKETS - 1));
  }

  /** FNV-1a over the UTF-16 code units, then a separator. */
  private static long fnv(long h, String s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      char ch = s.charAt(i);
      h ^= ch & 0xff;
      h *= 0x100000001b3L;
      h ^= ch >>> 8;
      h *= 0x100000001b3L;
    }
    h ^= 0xff;
    return h * 0x100000001b3L;
  }

  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
