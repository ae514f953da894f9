package dev.rollback.journal;

import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A record's data: an ordered map nobody can change. The codec builds one per record and hands it
 * over; a map from anywhere else is copied into one first, so a record's data never changes under it.
 */
final class OwnedData extends AbstractMap<String, Object> {
  private final Map<String, Object> view;
  /** The map as the codec writes it, for the constants below; null for the others. */
  final byte @Nullable [] encoded;

  /** Takes {@code map} over: the caller must not keep or change it. */
  OwnedData(LinkedHashMap<String, Object> map) {
    this.view = Collections.unmodifiableMap(map);
    this.encoded = null;
  }

  /** Takes {@code map} over, and keeps the bytes the codec writes for it. */
  private static OwnedData encodedOnce(LinkedHashMap<String, Object> map) {
    Map<String, Object> view = Collections.unmodifiableMap(map);
    JournalCodec.Line line = new JournalCodec.Line(32);
    line.value(view);
    return new OwnedData(view, java.util.Arrays.copyOf(line.buf, line.len));
  }

  private OwnedData(Map<String, Object> view, byte[] encoded) {
    this.view = view;
    this.encoded = encoded;
  }

  /**
   * {@code {"attempt": n}}, the whole data of most step records: one shared instance per attempt
   * up to 16, written by the codec from bytes it encoded once.
   */
  static OwnedData attempt(int attempt) {
    if (attempt >= 1 && attempt <= ATTEMPTS.length) return ATTEMPTS[attempt - 1];
    return new OwnedData(attemptMap(attempt));
  }

  private static LinkedHashMap<String, Object> attemptMap(int attempt) {
    LinkedHashMap<String, Object> d = new LinkedHashMap<>(2);
    d.put("attempt", attempt);
    return d;
  }

  private static final OwnedData[] ATTEMPTS = new OwnedData[16];

  static {
    for (int i = 0; i < ATTEMPTS.length; i++) ATTEMPTS[i] = encodedOnce(attemptMap(i + 1));
  }

  static Map<String, Object> of(Map<String, Object> data) {
    return data instanceof OwnedData ? data : new OwnedData(new LinkedHashMap<>(data));
  }

  @Override public Set<Entry<String, Object>> entrySet() { return view.entrySet(); }
  @Override public @Nullable Object get(@Nullable Object key) { return view.get(key); }
  @Override public boolean containsKey(@Nullable Object key) { return view.containsKey(key); }
  @Override public int size() { return view.size(); }
  @Override public boolean isEmpty() { return view.isEmpty(); }
}
