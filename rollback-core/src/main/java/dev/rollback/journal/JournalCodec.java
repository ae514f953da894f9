package dev.rollback.journal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
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

  /** The record as one line, newline included. */
  public static byte[] encode(JournalRecord r) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      g.writeStartObject();
      g.writeNumberField("v", r.v());
      g.writeNumberField("seq", r.seq());
      g.writeStringField("run", r.runId());
      g.writeStringField("type", r.type());
      g.writeStringField("at", r.at().toString());
      g.writeNumberField("fence", r.fence());
      if (r.step() != null) g.writeStringField("step", r.step());
      if (!r.data().isEmpty()) {
        g.writeFieldName("data");
        writeValue(g, r.data());
      }
      // no end object: the crc goes last, then the brace
    } catch (IOException e) {
      throw new IllegalStateException("cannot encode journal record " + r.type(), e);
    }
    byte[] body = out.toByteArray();
    // JsonGenerator closes open objects on close(): strip the closing brace it added
    int len = body.length;
    while (len > 0 && body[len - 1] == '}') {
      len--;
      break;
    }
    CRC32C crc = new CRC32C();
    crc.update(body, 0, len);
    crc.update('}');
    String hex = String.format("%08x", crc.getValue());
    byte[] line = new byte[len + CRC_FIELD.length + hex.length() + 3];
    System.arraycopy(body, 0, line, 0, len);
    int p = len;
    System.arraycopy(CRC_FIELD, 0, line, p, CRC_FIELD.length);
    p += CRC_FIELD.length;
    for (int i = 0; i < hex.length(); i++) line[p++] = (byte) hex.charAt(i);
    line[p++] = '"';
    line[p++] = '}';
    line[p] = '\n';
    return line;
  }

  private static void writeValue(JsonGenerator g, Object value) throws IOException {
    if (value == null) {
      g.writeNull();
    } else if (value instanceof String s) {
      g.writeString(s);
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      g.writeNumber(((Number) value).longValue());
    } else if (value instanceof Number n) {
      g.writeNumber(n.doubleValue());
    } else if (value instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (value instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        writeValue(g, e.getValue());
      }
      g.writeEndObject();
    } else if (value instanceof Iterable<?> it) {
      g.writeStartArray();
      for (Object o : it) writeValue(g, o);
      g.writeEndArray();
    } else {
      g.writeString(String.valueOf(value));
    }
  }

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
              @SuppressWarnings("unchecked") Map<String, Object> dm = (Map<String, Object>) m;
              data = dm;
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
