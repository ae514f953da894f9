package dev.rollback.detect;

import dev.rollback.internal.detect.BoundedCheck;
import dev.rollback.internal.detect.CompositeCheck;
import dev.rollback.internal.detect.HttpCheck;
import dev.rollback.internal.detect.PrometheusCheck;
import dev.rollback.internal.detect.TcpCheck;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.function.DoublePredicate;

/**
 * A named probe. {@link #check()} never throws: a failure to probe is {@link HealthStatus#UNKNOWN}
 * or {@link HealthStatus#DOWN} with the reason in the detail.
 */
public interface HealthCheck {

  String name();

  Health check();

  /** A check from a lambda returning a status; an exception counts as DOWN with its message. */
  static HealthCheck of(String name, Callable<HealthStatus> probe) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(probe, "probe");
    return new HealthCheck() {
      @Override public String name() { return name; }
      @Override public Health check() {
        Instant start = Instant.now();
        try {
          HealthStatus status = Objects.requireNonNull(probe.call(), () -> "check '" + name + "' returned null");
          return Health.of(name, status, Duration.between(start, Instant.now()), status.name());
        } catch (Exception e) {
          return Health.of(name, HealthStatus.DOWN, Duration.between(start, Instant.now()),
              e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }
      @Override public String toString() { return "HealthCheck[" + name + "]"; }
    };
  }

  /**
   * This check, answering within {@code timeout} whatever the probe does: a probe that has not
   * answered in time is UNKNOWN ("did not answer within …") and is interrupted; while it stays
   * stuck, further checks are UNKNOWN at once instead of starting another. Checks with timeouts of
   * their own (HTTP, TCP, Prometheus) are returned unchanged. {@link Signals#poll} applies this to
   * every other check, with the poll interval (at most 5 s) as the timeout, so a stuck probe never
   * stops the guard's thread; the rules' worst-case formulas take such probes as prompt (a hang ends
   * as UNKNOWN, which does not roll back unless {@link Signals#pollTreatingUnknownAsDown} is used).
   */
  default HealthCheck withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    return dev.rollback.internal.detect.BoundedCheck.of(this, timeout);
  }

  /** A check that always reports {@code status}; for tests and drills. */
  static HealthCheck constant(String name, HealthStatus status) {
    return of(name, () -> status);
  }

  /** Latency measured on {@code clock}; for use by implementations. */
  static Duration since(Clock clock, Instant start) {
    return Duration.between(start, clock.instant());
  }

  /**
   * An HTTP GET check: statuses 200–299 are UP (change with {@link HttpHealthCheck#expectStatus}),
   * connect timeout 2 s, read timeout 5 s, TLS verified. See {@link HttpHealthCheck}.
   */
  static HttpHealthCheck http(String name, URI uri) {
    return HttpCheck.of(name, uri);
  }

  /** UP when a TCP connection to {@code host:port} opens within {@code timeout}; refused is DOWN, no answer UNKNOWN. */
  static HealthCheck tcp(String name, String host, int port, Duration timeout) {
    return new TcpCheck(name, host, port, timeout);
  }

  /** UP when every member is UP; each member's result is kept in {@link Health#members()}. */
  static HealthCheck all(String name, HealthCheck... members) {
    return CompositeCheck.all(name, List.of(members));
  }

  /** UP when at least one member is UP. */
  static HealthCheck any(String name, HealthCheck... members) {
    return CompositeCheck.any(name, List.of(members));
  }

  /** UP when at least {@code k} members are UP. */
  static HealthCheck quorum(String name, int k, HealthCheck... members) {
    return CompositeCheck.quorum(name, k, List.of(members));
  }

  /**
   * An instant query against the Prometheus HTTP API ({@code /api/v1/query}): DOWN when
   * {@code isBad} holds for any returned value; UNKNOWN for an error answer, no data, NaN or no
   * answer within 5 s.
   */
  static HealthCheck prometheus(String name, URI server, String query, DoublePredicate isBad) {
    return new PrometheusCheck(name, server, query, isBad, Duration.ofSeconds(5));
  }
}
