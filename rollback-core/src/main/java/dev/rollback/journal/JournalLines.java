package dev.rollback.journal;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The journal's line format, for journal implementations outside this package (a JDBC or a
 * Kubernetes journal stores the same lines the {@link FileJournal} writes): one JSON object with
 * a format version and a CRC32C, so every store detects damage the same way.
 */
public final class JournalLines {
  private JournalLines() {}

  /** The record as one line, without the line end. */
  public static String encode(JournalRecord record) {
    byte[] line = JournalCodec.encode(record);
    return new String(line, 0, line.length - 1, StandardCharsets.UTF_8);
  }

  /**
   * Decodes one line (with or without its line end). A line that is not a valid record, or whose
   * checksum does not match, is a {@link JournalCorruptedException} naming {@code where}.
   */
  public static JournalRecord decode(String line, String where) {
    byte[] b = line.getBytes(StandardCharsets.UTF_8);
    int len = b.length > 0 && b[b.length - 1] == '\n' ? b.length - 1 : b.length;
    try {
      return JournalCodec.decode(Arrays.copyOf(b, len), 0, len);
    } catch (JournalCodec.BadRecordException e) {
      throw new JournalCorruptedException(where, e.getMessage());
    }
  }
}
