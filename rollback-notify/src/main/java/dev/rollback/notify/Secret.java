package dev.rollback.notify;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A webhook URL, routing key, token or password. It never prints itself: {@link #toString()} is
 * {@code "***"}, so a secret that reaches a log line, a report, an event or an exception message
 * by accident is still hidden. {@link #reveal()} is the one way to read it.
 */
public final class Secret {
  private final String value;

  private Secret(String value) {
    this.value = value;
  }

  public static Secret of(String value) {
    Objects.requireNonNull(value, "secret value");
    if (value.isBlank()) throw new IllegalArgumentException("a secret must not be blank");
    return new Secret(value);
  }

  /** The secret read from environment variable {@code name}; fails naming the variable (never its value). */
  public static Secret fromEnv(String name) {
    String v = System.getenv(name);
    if (v == null || v.isBlank()) throw new IllegalStateException("environment variable " + name + " is not set");
    return new Secret(v);
  }

  public String reveal() {
    return value;
  }

  /** Compares with {@code candidate} in time independent of where they differ (and of their lengths). */
  public boolean matches(String candidate) {
    Objects.requireNonNull(candidate, "candidate");
    byte[] a = sha256(value);
    byte[] b = sha256(candidate);
    return MessageDigest.isEqual(a, b);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** Replaces every occurrence of this secret in {@code text} with {@code ***}. */
  public String redact(String text) {
    return text.replace(value, "***");
  }

  @Override
  public String toString() {
    return "***";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && matches(s.value);
  }

  @Override
  public int hashCode() {
    return 1;
  }
}
