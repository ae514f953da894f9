package dev.rollback.journal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * One journal record as one line of JSON: {@code {"v":1,"seq":3,"run":"…","type":"STEP_STARTED",
 * "at":"…","fence":0,"step":"restore/db","data":{…},"crc":"1a2b3c4d"}\n}. The CRC32C covers the
 * line up to the crc field, so a torn or altered line is detected. Readers ignore unknown fields.
 */
final class JournalCodec {
  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] CRC_FIELD = ",\"crc\":\"".getBytes(StandardCharsets.US_ASCII);

  private JournalCodec() {}

  private static final byte[] V = ascii("{\"v\":");
  private static final byte[] SEQ = ascii(",\"seq\":");
  private static final byte[] RUN = ascii(",\"run\":");
  private static final byte[] TYPE = ascii(",\"type\":");
  private static final byte[] AT = ascii(",\"at\":\"");
  private static final byte[] FENCE = ascii("\",\"fence\":");
  private static final byte[] STEP = ascii(",\"step\":");
  private static final byte[] DATA = ascii(",\"data\":");
  private static final byte[] CRC = ascii(",\"crc\":\"");
  private static final byte[] END = ascii("\"}\n");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The record as one line, newline included. */
  public static byte[] encode(JournalRecord r) {
    Line out = new Line(256);
    encodeInto(r, out);
    return java.util.Arrays.copyOf(out.buf, out.len);
  }

  /** Appends the record's line (newline included) to {@code out}. */
  static void encodeInto(JournalRecord r, Line out) {
    int start = out.len;
    out.raw(V).number(r.v());
    out.raw(SEQ).number(r.seq());
    out.raw(RUN).repeated(r.runId(), Line.RUN_SLOT, 1);
    out.raw(TYPE).repeated(r.type(), Line.TYPE_SLOTS, Line.TYPE_SLOT_COUNT);
    out.raw(AT).instant(r.at());
    out.raw(FENCE).number(r.fence());
    if (r.step() != null) out.raw(STEP).repeated(r.step(), Line.STEP_SLOT, 1);
    if (r.data() instanceof OwnedData o && o.encoded != null) {
      out.raw(DATA).raw(o.encoded);
    } else if (!r.data().isEmpty()) {
      out.raw(DATA).value(r.data());
    }
    CRC32C crc = new CRC32C();
    crc.update(out.buf, start, out.len - start);
    crc.update('}');
    out.raw(CRC).hex8(crc.getValue()).raw(END);
  }

  /** The class of {@code List.of(..)} and {@code List.copyOf(..)} with more than two elements. */
  private static final Class<?> IMMUTABLE_LIST = List.of(0, 0, 0).getClass();

  private record Encoded(List<?> list, byte[] bytes) {}

  private static volatile Encoded lastList = new Encoded(List.of(), new byte[0]);

  /**
   * A second's {@code yyyy-MM-ddTHH:mm:ss}, written once: a run writes many records a second, and
   * only their fractions differ.
   */
  private record Second(long epochSecond, byte[] prefix) {}

  private static volatile Second lastSecond = new Second(Long.MIN_VALUE, new byte[0]);

  /**
   * A JSON line written straight into bytes: the journal's records hold strings, whole numbers,
   * doubles, booleans, maps and lists, and writing them by hand costs a fraction of a general JSON
   * generator per record (the engine writes two records per step).
   */
  static final class Line {
    byte[] buf;
    int len;

    /*
     * The strings a run's records repeat — its id in every record, a handful of record types, a
     * step's path in its STEP_STARTED and its outcome — encoded once per line buffer and then copied.
     * Matched by identity: the engine hands the same String instances again (an enum constant's
     * name, the run's id, the unit's path), and a different instance with equal text is only
     * encoded again. Slot 0 is the run id, 1 the last step path, 2–5 record types (round robin).
     */
    static final int RUN_SLOT = 0;
    static final int STEP_SLOT = 1;
    static final int TYPE_SLOTS = 2;
    static final int TYPE_SLOT_COUNT = 4;
    private static final int LONGEST_CACHED = 128;
    private static final String[] NOTHING_CACHED = {};
    private static final byte[][] NO_BYTES = {};
    private final String[] cachedKeys;
    private final byte[][] cachedBytes;
    private int nextTypeSlot;

    /** A buffer for one record or value. */
    Line(int capacity) {
      buf = new byte[capacity];
      cachedKeys = NOTHING_CACHED;
      cachedBytes = NO_BYTES;
    }

    /**
     * A buffer that takes many records of one run (an in-memory journal's run), keeping the
     * encoding of the strings they repeat.
     */
    static Line forRecords(int capacity) {
      return new Line(capacity, new String[TYPE_SLOTS + TYPE_SLOT_COUNT]);
    }

    private Line(int capacity, String[] cachedKeys) {
      buf = new byte[capacity];
      this.cachedKeys = cachedKeys;
      this.cachedBytes = new byte[cachedKeys.length][];
    }

    /** Writes {@code s} as a JSON string, from a copy of its encoding if one of the slots holds it. */
    Line repeated(String s, int firstSlot, int slots) {
      String[] keys = cachedKeys;
      if (keys.length == 0) return string(s);
      for (int i = firstSlot; i < firstSlot + slots; i++) {
        if (keys[i] == s) return raw(cachedBytes[i]);
      }
      int start = len;
      string(s);
      if (s.length() <= LONGEST_CACHED) {
        int slot = firstSlot;
        if (slots > 1) {
          slot += nextTypeSlot;
          nextTypeSlot = (nextTypeSlot + 1) % slots;
        }
        keys[slot] = s;
        cachedBytes[slot] = java.util.Arrays.copyOfRange(buf, start, len);
      }
      return this;
    }

    private void ensure(int more) {
      if (len + more > buf.length) buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }

    Line raw(String ascii) {
      ensure(ascii.length());
      for (int i = 0; i < ascii.length(); i++) buf[len++] = (byte) ascii.charAt(i);
      return this;
    }

    Line raw(byte[] ascii) {
      ensure(ascii.length);
      System.arraycopy(ascii, 0, buf, len, ascii.length);
      len += ascii.length;
      return this;
    }

    Line number(long n) {
      if (n >= 0 && n < 10) {
        ensure(1);
        buf[len++] = (byte) ('0' + n);
        return this;
      }
      if (n < 0 || n > Integer.MAX_VALUE) return raw(Long.toString(n));
      int v = (int) n;
      int digits = v < 100 ? 2 : v < 1000 ? 3 : v < 10_000 ? 4 : v < 100_000 ? 5 : v < 1_000_000 ? 6
          : v < 10_000_000 ? 7 : v < 100_000_000 ? 8 : v < 1_000_000_000 ? 9 : 10;
      ensure(digits);
      for (int i = len + digits - 1; i >= len; i--) {
        buf[i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      len += digits;
      return this;
    }

    Line hex8(long v) {
      ensure(8);
      for (int shift = 28; shift >= 0; shift -= 4) buf[len++] = (byte) HEX[(int) (v >>> shift) & 0xf];
      return this;
    }

    /** As {@link Instant#toString()} writes it: UTC, seconds, and 0, 3, 6 or 9 fraction digits. */
    Line instant(Instant at) {
      long sec = at.getEpochSecond();
      Second second = lastSecond;
      if (second.epochSecond != sec) {
        long days = Math.floorDiv(sec, 86_400);
        int secOfDay = (int) Math.floorMod(sec, 86_400);
        java.time.LocalDate d = java.time.LocalDate.ofEpochDay(days);
        int year = d.getYear();
        if (year < 0 || year > 9999) return raw(at.toString());
        Line l = new Line(19);
        l.digits(year, 4).raw("-").digits(d.getMonthValue(), 2).raw("-").digits(d.getDayOfMonth(), 2).raw("T")
            .digits(secOfDay / 3600, 2).raw(":").digits(secOfDay / 60 % 60, 2).raw(":").digits(secOfDay % 60, 2);
        second = new Second(sec, l.buf);
        lastSecond = second;
      }
      ensure(30);
      raw(second.prefix);
      int nano = at.getNano();
      if (nano != 0) {
        buf[len++] = '.';
        if (nano % 1_000_000 == 0) digits(nano / 1_000_000, 3);
        else if (nano % 1000 == 0) digits(nano / 1000, 6);
        else digits(nano, 9);
      }
      buf[len++] = 'Z';
      return this;
    }


    private Line digits(int v, int width) {
      ensure(width);
      for (int i = width - 1; i >= 0; i--) {
        buf[len + i] = (byte) ('0' + v % 10);
        v /= 10;
      }
      len += width;
      return this;
    }

    Line string(String s) {
      int n = s.length();
      ensure(n * 6 + 2); // the longest a char can take: a \\u00XX escape, or 3 bytes (4 per surrogate pair)
      byte[] b = buf;
      int p = len;
      b[p++] = '"';
      for (int i = 0; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
          b[p++] = (byte) c;
        } else if (c == '"' || c == '\\') {
          b[p++] = '\\';
          b[p++] = (byte) c;
        } else {
          len = p;
          if (c < 0x20) {
            escapeControl(c);
          } else if (Character.isHighSurrogate(c) && i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
            codePoint(Character.toCodePoint(c, s.charAt(++i)));
          } else {
            codePoint(Character.isSurrogate(c) ? 0xFFFD : c);
          }
          b = buf;
          p = len;
        }
      }
      b[p++] = '"';
      len = p;
      return this;
    }

    private void escapeControl(char c) {
      switch (c) {
        case '\n' -> raw("\\n");
        case '\r' -> raw("\\r");
        case '\t' -> raw("\\t");
        case '\b' -> raw("\\b");
        case '\f' -> raw("\\f");
        default -> raw("\\u00").raw(String.valueOf((char) HEX[c >> 4])).raw(String.valueOf((char) HEX[c & 0xf]));
      }
    }

    private void codePoint(int cp) {
      ensure(4);
      if (cp < 0x800) {
        buf[len++] = (byte) (0xC0 | (cp >> 6));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        buf[len++] = (byte) (0xE0 | (cp >> 12));
        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      } else {
        buf[len++] = (byte) (0xF0 | (cp >> 18));
        buf[len++] = (byte) (0x80 | ((cp >> 12) & 0x3F));
        buf[len++] = (byte) (0x80 | ((cp >> 6) & 0x3F));
        buf[len++] = (byte) (0x80 | (cp & 0x3F));
      }
    }

    /**
     * A long unmodifiable list (a plan's outline, written by every run of the plan): encoded once
     * and then copied while the same list comes again. Only a list of strings, which nothing can
     * change, is kept.
     */
    private void list(List<?> l) {
      Encoded last = lastList;
      if (last.list == l) {
        raw(last.bytes);
        return;
      }
      int start = len;
      raw("[");
      boolean strings = true;
      for (int i = 0; i < l.size(); i++) {
        if (i > 0) raw(",");
        Object o = l.get(i);
        strings &= o instanceof String;
        value(o);
      }
      raw("]");
      if (strings) lastList = new Encoded(l, java.util.Arrays.copyOfRange(buf, start, len));
    }

    Line value(Object value) {
      if (value == null) {
        raw("null");
      } else if (value instanceof String s) {
        string(s);
      } else if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
        number(((Number) value).longValue());
      } else if (value instanceof Number n) {
        double d = n.doubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) string(Double.toString(d));
        else raw(Double.toString(d));
      } else if (value instanceof Boolean b) {
        raw(b ? "true" : "false");
      } else if (value instanceof Map<?, ?> m) {
        raw("{");
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
          if (!first) raw(",");
          first = false;
          string(String.valueOf(e.getKey())).raw(":").value(e.getValue());
        }
        raw("}");
      } else if (value instanceof List<?> l && l.getClass() == IMMUTABLE_LIST && l.size() >= 16) {
        list(l);
      } else if (value instanceof Iterable<?> it) {
        raw("[");
        boolean first = true;
        for (Object o : it) {
          if (!first) raw(",");
          first = false;
          value(o);
        }
        raw("]");
      } else {
        string(String.valueOf(value));
      }
      return this;
    }
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  /** Thrown by {@link #decode} with a reason a human can act on. */
  public static final class BadRecordException extends Exception {
    private static final long serialVersionUID = 1L;

    BadRecordException(String message) {
      super(message);
    }
  }

  /** Decodes one line (without its newline). */
  public static JournalRecord decode(byte[] buf, int off, int len) throws BadRecordException {
    int crcAt = lastIndexOf(buf, off, len, CRC_FIELD);
    if (crcAt < 0) throw new BadRecordException("no checksum field");
    int hexStart = crcAt + CRC_FIELD.length;
    int end = off + len;
    if (end - hexStart != 10 || buf[end - 2] != '"' || buf[end - 1] != '}') {
      throw new BadRecordException("malformed checksum field");
    }
    long expected;
    try {
      expected = Long.parseLong(new String(buf, hexStart, 8, StandardCharsets.US_ASCII), 16);
    } catch (NumberFormatException e) {
      throw new BadRecordException("malformed checksum");
    }
    CRC32C crc = new CRC32C();
    crc.update(buf, off, crcAt - off);
    crc.update('}');
    if (crc.getValue() != expected) {
      throw new BadRecordException("checksum mismatch (expected " + String.format("%08x", expected)
          + ", computed " + String.format("%08x", crc.getValue()) + ")");
    }
    try (JsonParser p = JSON.createParser(buf, off, len)) {
      if (p.nextToken() != JsonToken.START_OBJECT) throw new BadRecordException("not a JSON object");
      int v = 0;
      long seq = 0;
      long fence = 0;
      String run = null;
      String type = null;
      String at = null;
      String step = null;
      Map<String, Object> data = Map.of();
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        JsonToken t = p.nextToken();
        switch (field) {
          case "v" -> v = p.getValueAsInt();
          case "seq" -> seq = p.getValueAsLong();
          case "run" -> run = p.getValueAsString();
          case "type" -> type = p.getValueAsString();
          case "at" -> at = p.getValueAsString();
          case "fence" -> fence = p.getValueAsLong();
          case "step" -> step = t == JsonToken.VALUE_NULL ? null : p.getValueAsString();
          case "data" -> {
            Object d = readValue(p, t);
            if (d instanceof Map<?, ?> m) {
              @SuppressWarnings("unchecked") LinkedHashMap<String, Object> dm = (LinkedHashMap<String, Object>) m;
              data = new OwnedData(dm);
            }
          }
          default -> p.skipChildren(); // unknown field from a newer writer: ignored
        }
      }
      if (v < 1) throw new BadRecordException("missing format version \"v\"");
      if (run == null || type == null || at == null) throw new BadRecordException("missing run, type or at");
      Instant instant;
      try {
        instant = Instant.parse(at);
      } catch (RuntimeException e) {
        throw new BadRecordException("bad timestamp '" + at + "'");
      }
      return new JournalRecord(v, seq, run, type, instant, fence, step, data);
    } catch (IOException e) {
      throw new BadRecordException("not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage()));
    }
  }

  private static Object readValue(JsonParser p, JsonToken t) throws IOException {
    switch (t) {
      case START_OBJECT: {
        Map<String, Object> m = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String k = p.currentName();
          m.put(k, readValue(p, p.nextToken()));
        }
        return m;
      }
      case START_ARRAY: {
        List<Object> l = new ArrayList<>();
        JsonToken x;
        while ((x = p.nextToken()) != JsonToken.END_ARRAY) l.add(readValue(p, x));
        return l;
      }
      case VALUE_STRING: return p.getText();
      case VALUE_NUMBER_INT: return p.getLongValue();
      case VALUE_NUMBER_FLOAT: return p.getDoubleValue();
      case VALUE_TRUE: return Boolean.TRUE;
      case VALUE_FALSE: return Boolean.FALSE;
      default: return "";
    }
  }

  private static int lastIndexOf(byte[] buf, int off, int len, byte[] needle) {
    outer:
    for (int i = off + len - needle.length; i >= off; i--) {
      for (int j = 0; j < needle.length; j++) if (buf[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  /** Result of scanning a run's bytes: the records, where the valid prefix ends, and the torn tail. */
  public record Scan(List<JournalRecord> records, int validLength, String tornProblem) {}

  /**
   * Scans encoded lines. A bad or unterminated last line is a torn record (reported, excluded);
   * a bad line followed by more data is corruption.
   */
  public static Scan scan(byte[] bytes, int length, String where) throws dev.rollback.journal.JournalCorruptedException {
    List<JournalRecord> records = new ArrayList<>();
    int pos = 0;
    int line = 1;
    while (pos < length) {
      int nl = -1;
      for (int i = pos; i < length; i++) {
        if (bytes[i] == '\n') { nl = i; break; }
      }
      if (nl < 0) {
        return new Scan(records, pos, "torn last record at " + where + ":" + line + " (byte " + pos + ", "
            + (length - pos) + " bytes without a line end): the writer stopped mid-record; the record is ignored");
      }
      try {
        records.add(decode(bytes, pos, nl - pos));
      } catch (BadRecordException e) {
        if (nl + 1 >= length) {
          return new Scan(records, pos, "torn last record at " + where + ":" + line + " (byte " + pos + "): "
              + e.getMessage() + "; the record is ignored");
        }
        throw new dev.rollback.journal.JournalCorruptedException(where + ":" + line + " (byte " + pos + ")", e.getMessage());
      }
      pos = nl + 1;
      line++;
    }
    return new Scan(records, pos, "");
  }
}
