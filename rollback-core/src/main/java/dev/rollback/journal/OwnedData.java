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

  /** Takes {@code map} over: the caller must not keep or change it. */
  OwnedData(LinkedHashMap<String, Object> map) {
    this.view = Collections.unmodifiableMap(map);
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
