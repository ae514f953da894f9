package dev.rollback.test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * What a {@link FaultProxy} does to a connection (TCP mode) or a request (HTTP modes): pass it,
 * delay it, hang it, close it, or answer it with a chosen HTTP status. Immutable; the
 * {@code with*} methods return changed copies.
 *
 * <pre>{@code
 * proxy.inject(Fault.status(409).matching(r -> r.method().equals("PATCH")).times(2));
 * proxy.inject(Fault.hang());                 // everything from now on, until heal()
 * proxy.inject(Fault.close().afterPassing(3)); // the fourth connection on is closed
 * }</pre>
 */
public final class Fault {
  /** The kinds of fault. */
  public enum Kind { PASS, DELAY, HANG, CLOSE, STATUS }

  private final Kind kind;
  private final Duration delay;
  private final int status;
  private final String contentType;
  private final byte[] body;
  private final Predicate<FaultProxy.Request> matching;
  private final String matchingDescription;
  private final int afterPassing;
  private final int times;

  private Fault(Kind kind, Duration delay, int status, String contentType, byte[] body,
      Predicate<FaultProxy.Request> matching, String matchingDescription, int afterPassing, int times) {
    this.kind = kind;
    this.delay = delay;
    this.status = status;
    this.contentType = contentType;
    this.body = body;
    this.matching = matching;
    this.matchingDescription = matchingDescription;
    this.afterPassing = afterPassing;
    this.times = times;
  }

  private static Fault of(Kind kind) {
    return new Fault(kind, Duration.ZERO, 0, "", new byte[0], r -> true, "every request", 0, Integer.MAX_VALUE);
  }

  /** Forward as is. */
  public static Fault pass() {
    return of(Kind.PASS);
  }

  /** Forward after {@code delay} (TCP mode: the connection to the upstream is opened after it). */
  public static Fault delay(Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) throw new IllegalArgumentException("delay must not be negative: " + delay);
    Fault f = of(Kind.DELAY);
    return new Fault(Kind.DELAY, delay, 0, "", f.body, f.matching, f.matchingDescription, 0, Integer.MAX_VALUE);
  }

  /** Read what the client sends and answer nothing until {@link FaultProxy#heal()} or close, which closes the connection. */
  public static Fault hang() {
    return of(Kind.HANG);
  }

  /** Close the client's connection (injecting it also closes the connections open at that moment). */
  public static Fault close() {
    return of(Kind.CLOSE);
  }

  /** HTTP modes only: answer with {@code status} and a small JSON body naming the fault. */
  public static Fault status(int status) {
    return status(status, "application/json",
        "{\"message\":\"fault injected by the test proxy: HTTP " + status + "\"}");
  }

  /** HTTP modes only: answer with {@code status}, this content type and body. */
  public static Fault status(int status, String contentType, String body) {
    if (status < 100 || status > 599) throw new IllegalArgumentException("status must be 100..599: " + status);
    Objects.requireNonNull(contentType, "contentType");
    Objects.requireNonNull(body, "body");
    Fault f = of(Kind.STATUS);
    return new Fault(Kind.STATUS, Duration.ZERO, status, contentType, body.getBytes(StandardCharsets.UTF_8),
        f.matching, f.matchingDescription, 0, Integer.MAX_VALUE);
  }

  /** Only requests (HTTP) or connections (TCP, method {@code TCP}) that {@code which} accepts; the rest pass. */
  public Fault matching(String description, Predicate<FaultProxy.Request> which) {
    Objects.requireNonNull(which, "which");
    return new Fault(kind, delay, status, contentType, body, which, description, afterPassing, times);
  }

  /** Let the first {@code n} matching requests or connections pass before the fault applies. */
  public Fault afterPassing(int n) {
    if (n < 0) throw new IllegalArgumentException("afterPassing must not be negative: " + n);
    return new Fault(kind, delay, status, contentType, body, matching, matchingDescription, n, times);
  }

  /** Apply the fault to {@code n} matching requests or connections, then pass again. */
  public Fault times(int n) {
    if (n < 1) throw new IllegalArgumentException("times must be at least 1: " + n);
    return new Fault(kind, delay, status, contentType, body, matching, matchingDescription, afterPassing, n);
  }

  public Kind kind() { return kind; }
  public Duration delayOrZero() { return delay; }
  public int status() { return status; }
  String contentType() { return contentType; }
  byte[] body() { return body.clone(); }
  Predicate<FaultProxy.Request> matcher() { return matching; }
  int passFirst() { return afterPassing; }
  int maxTimes() { return times; }

  @Override
  public String toString() {
    String what = switch (kind) {
      case PASS -> "pass";
      case DELAY -> "delay " + delay;
      case HANG -> "hang";
      case CLOSE -> "close";
      case STATUS -> "answer HTTP " + status;
    };
    return what + " (" + matchingDescription + (afterPassing > 0 ? ", after " + afterPassing + " passed" : "")
        + (times == Integer.MAX_VALUE ? "" : ", " + times + " time(s)") + ")";
  }
}
