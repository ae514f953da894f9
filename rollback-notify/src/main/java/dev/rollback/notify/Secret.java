package dev.rollback.notify;

import dev.rollback.spi.Redactor;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Objects;

/**
 * A webhook URL, routing key, token or password. It never prints itself: {@link #toString()} is
 * {@code "***"}, so a secret that reaches a log line, a report, an event or an exception message
 * by accident is still hidden. {@link #reveal()} is the one way to read it.
 *
 * <p>{@link #redactor()} hides it in text from outside (a server's reply, an exception message):
 * the whole value and each sensitive fragment of it, so a webhook URL's token is hidden even when a
 * server echoes only the request path. See {@link Redactor} for what counts as a fragment.
 */
public final class Secret {
  private final String value;
  private final Redactor redactor;

  private Secret(String value) {
    this.value = value;
    this.redactor = Redactor.of(value);
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

  /**
   * Replaces every occurrence of this secret and of each of its sensitive fragments (a webhook
   * URL's token-like path segments, query values and userinfo; URL-encoded and base-64 forms too)
   * in {@code text} with {@code ***}.
   */
  public String redact(String text) {
    return redactor.redact(text);
  }

  /** What hides this secret in foreign text; combine several with {@link Redactor#and(Redactor)}. */
  public Redactor redactor() {
    return redactor;
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
