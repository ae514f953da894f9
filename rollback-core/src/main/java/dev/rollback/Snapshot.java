package dev.rollback;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A captured piece of state, as string keys and values so any journal can store it (a Kubernetes
 * revision, a flag's variants, a load balancer's weights). Immutable.
 */
public record Snapshot(Map<String, String> values) {
  private static final Snapshot EMPTY = new Snapshot(Map.of());

  public Snapshot {
    Objects.requireNonNull(values, "values");
    values.forEach((k, v) -> {
      Objects.requireNonNull(k, "snapshot key");
      Objects.requireNonNull(v, () -> "snapshot value of '" + k + "'");
    });
    values = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(values));
  }

  public static Snapshot empty() {
    return EMPTY;
  }

  public static Snapshot of(String key, String value) {
    return new Snapshot(Map.of(key, value));
  }

  public static Snapshot of(Map<String, String> values) {
    return new Snapshot(values);
  }

  public Optional<String> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** The value of {@code key}, or an {@link IllegalStateException} naming the missing key. */
  public String require(String key) {
    String v = values.get(key);
    if (v == null) {
      throw new IllegalStateException("snapshot has no '" + key + "' (keys: " + values.keySet() + ")");
    }
    return v;
  }

  public Snapshot with(String key, String value) {
    Map<String, String> copy = new LinkedHashMap<>(values);
    copy.put(key, value);
    return new Snapshot(copy);
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }
}
