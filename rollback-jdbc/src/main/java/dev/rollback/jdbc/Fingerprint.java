package dev.rollback.jdbc;

import dev.rollback.jdbc.internal.Fingerprints;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What a table holds, reduced to a row count and an order-independent checksum (the sum of a
 * 64-bit hash of every row over the chosen columns, or all of them in name order), plus the same
 * per 64 buckets of the primary key so a mismatch can name sample keys. Taken before a change and
 * after its rollback; equal fingerprints mean the same multiset of rows.
 *
 * @param table the table as written by the user
 * @param columns the columns hashed; empty means all columns
 * @param exists false when the table did not exist
 */
public record Fingerprint(String table, List<String> columns, boolean exists, long rows, long checksum,
    long[] bucketSums, long[] bucketCounts) {
  public static final int BUCKETS = 64;

  public Fingerprint {
    Objects.requireNonNull(table, "table");
    columns = List.copyOf(columns);
    if (bucketSums.length != BUCKETS || bucketCounts.length != BUCKETS) {
      throw new IllegalArgumentException("a fingerprint has " + BUCKETS + " buckets");
    }
    bucketSums = bucketSums.clone();
    bucketCounts = bucketCounts.clone();
  }

  /** The per-bucket checksums (a copy). */
  @Override
  public long[] bucketSums() {
    return bucketSums.clone();
  }

  /** The per-bucket row counts (a copy). */
  @Override
  public long[] bucketCounts() {
    return bucketCounts.clone();
  }

  /** Fingerprints {@code table} over {@code columns} (all when none are given). */
  public static Fingerprint of(Connection connection, String table, String... columns) throws SQLException {
    return Fingerprints.take(connection, table, List.of(columns));
  }

  /** A compact text form, for journals and the fingerprint table. */
  public String encode() {
    StringBuilder sb = new StringBuilder();
    sb.append(exists ? 1 : 0).append(';').append(rows).append(';').append(Long.toHexString(checksum)).append(';');
    for (int i = 0; i < BUCKETS; i++) {
      if (i > 0) sb.append(',');
      sb.append(Long.toHexString(bucketSums[i])).append(':').append(bucketCounts[i]);
    }
    return sb.toString();
  }

  /** Reads {@link #encode()}'s form back. */
  public static Fingerprint decode(String table, List<String> columns, String encoded) {
    String[] parts = encoded.split(";", -1);
    if (parts.length != 4) throw new IllegalArgumentException("not an encoded fingerprint of " + table + ": '" + encoded + "'");
    long[] sums = new long[BUCKETS];
    long[] counts = new long[BUCKETS];
    String[] buckets = parts[3].split(",");
    for (int i = 0; i < BUCKETS; i++) {
      String[] b = buckets[i].split(":");
      sums[i] = Long.parseUnsignedLong(b[0], 16);
      counts[i] = Long.parseLong(b[1]);
    }
    return new Fingerprint(table, columns, parts[0].equals("1"), Long.parseLong(parts[1]),
        Long.parseUnsignedLong(parts[2], 16), sums, counts);
  }

  public boolean matches(Fingerprint other) {
    return exists == other.exists && rows == other.rows && checksum == other.checksum
        && Arrays.equals(bucketSums, other.bucketSums) && Arrays.equals(bucketCounts, other.bucketCounts);
  }

  /** The buckets (by primary-key hash) whose rows differ. */
  public List<Integer> differingBuckets(Fingerprint other) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < BUCKETS; i++) {
      if (bucketSums[i] != other.bucketSums[i] || bucketCounts[i] != other.bucketCounts[i]) out.add(i);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Fingerprint f && table.equals(f.table) && columns.equals(f.columns) && matches(f);
  }

  @Override
  public int hashCode() {
    return Objects.hash(table, columns, rows, checksum);
  }

  @Override
  public String toString() {
    return "Fingerprint[" + table + (columns.isEmpty() ? "" : columns) + (exists ? ": " + rows + " rows, checksum "
        + Long.toHexString(checksum) : ": absent") + "]";
  }

  /**
   * How a table differs from its fingerprint before the change: row counts, how many of the
   * 64 key buckets differ (at least that many rows differ), and keys found in those buckets now.
   */
  public record Difference(String table, boolean existedBefore, boolean existsAfter, long rowsBefore, long rowsAfter,
      int differingBuckets, List<String> sampleKeys) {
    public Difference {
      sampleKeys = List.copyOf(sampleKeys);
    }

    public String summary() {
      if (existedBefore != existsAfter) {
        return table + ": " + (existedBefore ? "existed before the change but is missing after the rollback"
            : "did not exist before the change but exists after the rollback");
      }
      return table + ": " + rowsBefore + " rows before, " + rowsAfter + " after; at least " + Math.max(differingBuckets,
          (int) Math.min(Integer.MAX_VALUE, Math.abs(rowsBefore - rowsAfter))) + " rows differ"
          + (sampleKeys.isEmpty() ? "" : "; sample keys in the differing key ranges: " + String.join(", ", sampleKeys));
    }
  }
}
