package dev.rollback.spi;

import dev.rollback.detect.HealthCheck;
import dev.rollback.internal.spi.MapArguments;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The values given to a {@link StepType} or {@link TargetType}, already checked against its
 * {@link Parameter}s: present when required, of the declared type, within bounds, targets of an
 * accepted type, secrets resolved from their references. Optional parameters without a value
 * return their default; ask {@link #has} before reading one that has none.
 *
 * <p>A getter called with a name that has no value, or with the wrong type, throws an
 * {@link IllegalArgumentException} naming the parameter and {@link #location()}.
 */
public interface Arguments {

  /** Where the values were written, for messages: {@code plan.yaml:14:9 spec.stages[1].steps[0]}. */
  String location();

  /** Whether {@code name} has a value, given or by default. */
  boolean has(String name);

  String string(String name);

  int integer(String name);

  double number(String name);

  boolean bool(String name);

  Duration duration(String name);

  URI uri(String name);

  /** A file or directory, resolved against the plan file's directory. */
  Path path(String name);

  List<String> strings(String name);

  List<Integer> integers(String name);

  Map<String, String> stringMap(String name);

  Map<String, Integer> integerMap(String name);

  /** The secret's value, read from the environment variable or file its reference names; never logged. */
  String secret(String name);

  /** The opened target (an HAProxy router, a flag store, a data source...) of the given type. */
  <T> T target(String name, Class<T> type);

  /** The health check declared under the name this parameter gives. */
  HealthCheck check(String name);

  /**
   * Arguments from values already of their Java types ({@code Duration}, {@code Integer},
   * {@code List<Integer>}, a target object, a {@code HealthCheck}; a secret as its {@code String}
   * value), for using a step type from code and in tests.
   */
  static Arguments of(String location, Map<String, ?> values) {
    return new MapArguments(location, values);
  }
}
