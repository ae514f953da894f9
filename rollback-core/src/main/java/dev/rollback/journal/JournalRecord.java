package dev.rollback.journal;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One journal record. {@code data} holds JSON-like values: strings, numbers, booleans, lists of
 * strings and string maps. {@code fence} is the fencing token of the lease the writer held (0 when
 * none); a journal rejects a record whose fence is lower than one it already accepted for the run.
 *
 * @param v the format version (1); readers accept newer minor revisions and ignore unknown fields
 * @param seq position within the run, from 1
 * @param type a {@link RecordType} name, or a newer writer's type this reader does not know
 */
public record JournalRecord(
    int v,
    long seq,
    String runId,
    String type,
    Instant at,
    long fence,
    @Nullable String step,
    Map<String, Object> data) {

  public static final int VERSION = 1;

  public JournalRecord {
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(at, "at");
    data = OwnedData.of(data);
  }

  public static JournalRecord of(long seq, String runId, RecordType type, Instant at, long fence,
      @Nullable String step, Map<String, Object> data) {
    return new JournalRecord(VERSION, seq, runId, type.name(), at, fence, step, data);
  }

  /** The record of {@code event}: its body encoded as format 1 ({@code "v":1}). */
  public static JournalRecord of(long seq, String runId, Instant at, long fence, JournalEvent.Known event) {
    return new JournalRecord(VERSION, seq, runId, event.type().name(), at, fence, EventCodec.step(event),
        EventCodec.data(event));
  }

  /**
   * What this record says, typed; an {@link JournalEvent.Unknown} for a record type this version
   * does not know. Decoded at each call. Keys a newer writer added stay in {@link #data()}.
   */
  public JournalEvent event() {
    return EventCodec.decode(this);
  }

  /** The known type, or empty for a newer writer's record type. */
  public Optional<RecordType> recordType() {
    return Optional.ofNullable(RecordType.parse(type));
  }

  public boolean is(RecordType t) {
    return type.equals(t.name());
  }

  public Optional<String> string(String key) {
    Object v = data.get(key);
    return v == null ? Optional.empty() : Optional.of(String.valueOf(v));
  }

  public String stringOr(String key, String fallback) {
    return string(key).orElse(fallback);
  }

  public long longOr(String key, long fallback) {
    Object v = data.get(key);
    if (v instanceof Number n) return n.longValue();
    if (v instanceof String s) {
      try { return Long.parseLong(s); } catch (NumberFormatException e) { return fallback; }
    }
    return fallback;
  }

  public boolean has(String key) {
    return data.containsKey(key);
  }

  public boolean flag(String key) {
    Object v = data.get(key);
    return v instanceof Boolean b ? b : v != null && Boolean.parseBoolean(String.valueOf(v));
  }

  @SuppressWarnings("unchecked")
  public Map<String, String> map(String key) {
    Object v = data.get(key);
    if (v instanceof Map<?, ?> m) {
      Map<String, String> out = new LinkedHashMap<>();
      ((Map<Object, Object>) m).forEach((k, val) -> out.put(String.valueOf(k), String.valueOf(val)));
      return out;
    }
    return Map.of();
  }

  @SuppressWarnings("unchecked")
  public List<String> list(String key) {
    Object v = data.get(key);
    if (v instanceof List<?> l) return ((List<Object>) l).stream().map(String::valueOf).toList();
    return List.of();
  }
}
