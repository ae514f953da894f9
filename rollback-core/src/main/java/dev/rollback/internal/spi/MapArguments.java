package dev.rollback.internal.spi;

import dev.rollback.detect.HealthCheck;
import dev.rollback.spi.Arguments;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/** {@link Arguments} over a map of values already of their Java types. */
public final class MapArguments implements Arguments {
  private final String location;
  private final Map<String, Object> values;

  public MapArguments(String location, Map<String, ?> values) {
    this.location = Objects.requireNonNull(location, "location");
    this.values = new LinkedHashMap<>(Objects.requireNonNull(values, "values"));
  }

  @Override public String location() { return location; }
  @Override public boolean has(String name) { return values.get(name) != null; }

  private <T> T get(String name, Class<T> type) {
    Object v = values.get(name);
    if (v == null) throw new IllegalArgumentException(location + ": parameter '" + name + "' has no value");
    if (!type.isInstance(v)) {
      throw new IllegalArgumentException(location + ": parameter '" + name + "' is a " + v.getClass().getSimpleName()
          + ", not a " + type.getSimpleName());
    }
    return type.cast(v);
  }

  @Override public String string(String name) { return get(name, Object.class).toString(); }
  @Override public int integer(String name) { return get(name, Number.class).intValue(); }
  @Override public double number(String name) { return get(name, Number.class).doubleValue(); }
  @Override public boolean bool(String name) { return get(name, Boolean.class); }
  @Override public Duration duration(String name) { return get(name, Duration.class); }
  @Override public URI uri(String name) { return get(name, URI.class); }
  @Override public Path path(String name) { return get(name, Path.class); }
  @Override public String secret(String name) { return get(name, String.class); }
  @Override public HealthCheck check(String name) { return get(name, HealthCheck.class); }
  @Override public <T> T target(String name, Class<T> type) { return get(name, type); }

  @SuppressWarnings("unchecked")
  @Override public List<String> strings(String name) { return List.copyOf((List<String>) get(name, List.class)); }

  @SuppressWarnings("unchecked")
  @Override public List<Integer> integers(String name) { return List.copyOf((List<Integer>) get(name, List.class)); }

  @SuppressWarnings("unchecked")
  @Override public Map<String, String> stringMap(String name) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>((Map<String, String>) get(name, Map.class)));
  }

  @SuppressWarnings("unchecked")
  @Override public Map<String, Integer> integerMap(String name) {
    return java.util.Collections.unmodifiableMap(new LinkedHashMap<>((Map<String, Integer>) get(name, Map.class)));
  }

  @Override
  public String toString() {
    return "Arguments[" + location + ", " + values.keySet() + "]";
  }
}
