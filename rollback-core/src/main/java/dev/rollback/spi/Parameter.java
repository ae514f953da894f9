package dev.rollback.spi;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One typed parameter of a {@link StepType} or {@link TargetType}: its name, type, whether it is
 * required, its default (written as it would be in a plan file), what it means, and the values it
 * accepts. Plan files are checked against it before a step is built, so every wrong value is
 * reported with its file, line and path. Immutable; the {@code with*} methods return a copy.
 *
 * <pre>{@code
 * Parameter.required("backend", Parameter.Type.STRING, "the HAProxy backend or NGINX upstream")
 * Parameter.optional("every", Parameter.Type.DURATION, "how often to poll").withDefault("2s")
 * Parameter.required("weights", Parameter.Type.INTEGER_MAP, "server to weight").between(0, 256)
 * Parameter.required("target", Parameter.Type.TARGET, "the load balancer").withChoices("haproxy", "nginx")
 * }</pre>
 */
public final class Parameter {

  /** What a parameter's value is, and how a plan file writes it. */
  public enum Type {
    /** Text. */
    STRING,
    /** A whole number; {@link #between} bounds it. */
    INTEGER,
    /** A decimal number; {@link #between} bounds it. */
    NUMBER,
    /** {@code true} or {@code false}. */
    BOOLEAN,
    /** {@code 250ms}, {@code 30s}, {@code 5m}, {@code 1h30m} or ISO-8601 ({@code PT5M}); must be positive. */
    DURATION,
    /** An absolute URI, such as {@code http://127.0.0.1:8080/health}. */
    URI,
    /** A file or directory, relative to the plan file's directory unless absolute. */
    PATH,
    /** One of {@link #choices()}. */
    ENUM,
    /** A list of texts. */
    STRING_LIST,
    /** A list of whole numbers, each within {@link #between} bounds. */
    INTEGER_LIST,
    /** A map of text to text. */
    STRING_MAP,
    /** A map of text to whole numbers, each within {@link #between} bounds. */
    INTEGER_MAP,
    /**
     * A password, token or key: never written in a file, only referenced with
     * {@code secretRef: {env: NAME}} or {@code secretRef: {file: PATH}}.
     */
    SECRET,
    /** The name of a target declared in the file's {@code targets}, of a type among {@link #choices()}. */
    TARGET,
    /** The name of a health check declared in the file's {@code checks}. */
    CHECK
  }

  private final String name;
  private final Type type;
  private final boolean required;
  private final @Nullable String defaultValue;
  private final String description;
  private final List<String> choices;
  private final @Nullable Long min;
  private final @Nullable Long max;

  private Parameter(String name, Type type, boolean required, @Nullable String defaultValue, String description,
      List<String> choices, @Nullable Long min, @Nullable Long max) {
    this.name = name;
    this.type = type;
    this.required = required;
    this.defaultValue = defaultValue;
    this.description = description;
    this.choices = List.copyOf(choices);
    this.min = min;
    this.max = max;
  }

  /** A parameter every use must give. */
  public static Parameter required(String name, Type type, String description) {
    return new Parameter(checkName(name), Objects.requireNonNull(type, "type"), true, null,
        Objects.requireNonNull(description, "description"), List.of(), null, null);
  }

  /** A parameter that may be left out (then {@link #defaultValue()} applies, if it has one). */
  public static Parameter optional(String name, Type type, String description) {
    return new Parameter(checkName(name), Objects.requireNonNull(type, "type"), false, null,
        Objects.requireNonNull(description, "description"), List.of(), null, null);
  }

  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[a-z][A-Za-z0-9]*");

  private static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("parameter name must be lowerCamelCase letters and digits: '" + name + "'");
    }
    return name;
  }

  /** The value used when a plan leaves this optional parameter out, written as in a file ({@code "2s"}, {@code "HALT"}). */
  public Parameter withDefault(String value) {
    Objects.requireNonNull(value, "value");
    if (required) throw new IllegalStateException("required parameter '" + name + "' cannot have a default");
    return new Parameter(name, type, false, value, description, choices, min, max);
  }

  /** The values an {@link Type#ENUM} accepts, or the target types a {@link Type#TARGET} accepts. */
  public Parameter withChoices(String... values) {
    if (values.length == 0) throw new IllegalArgumentException("choices of parameter '" + name + "' must not be empty");
    if (type != Type.ENUM && type != Type.TARGET) {
      throw new IllegalStateException("choices apply to ENUM and TARGET parameters, not to " + type + " '" + name + "'");
    }
    return new Parameter(name, type, required, defaultValue, description, Arrays.asList(values), min, max);
  }

  /** Inclusive bounds for an INTEGER or NUMBER, or for each element of an INTEGER_LIST or INTEGER_MAP. */
  public Parameter between(long min, long max) {
    if (min > max) throw new IllegalArgumentException("min " + min + " must not exceed max " + max + " of parameter '" + name + "'");
    if (type != Type.INTEGER && type != Type.NUMBER && type != Type.INTEGER_LIST && type != Type.INTEGER_MAP) {
      throw new IllegalStateException("bounds apply to numbers, not to " + type + " '" + name + "'");
    }
    return new Parameter(name, type, required, defaultValue, description, choices, min, max);
  }

  public String name() { return name; }
  public Type type() { return type; }
  public boolean isRequired() { return required; }
  /** The default, written as in a file; empty for required parameters and optional ones without default. */
  public Optional<String> defaultValue() { return Optional.ofNullable(defaultValue); }
  public String description() { return description; }
  /** ENUM values or TARGET types; empty when any is accepted. */
  public List<String> choices() { return choices; }
  public Optional<Long> min() { return Optional.ofNullable(min); }
  public Optional<Long> max() { return Optional.ofNullable(max); }

  @Override
  public String toString() {
    return "Parameter[" + name + ": " + type + (required ? ", required" : "")
        + (defaultValue != null ? ", default " + defaultValue : "") + (choices.isEmpty() ? "" : ", " + choices)
        + (min != null ? ", " + min + ".." + max : "") + "]";
  }
}
