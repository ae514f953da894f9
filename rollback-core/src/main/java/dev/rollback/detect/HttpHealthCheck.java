package dev.rollback.detect;

import java.time.Duration;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;

/**
 * An HTTP health check ({@link HealthCheck#http}): GET a URI and judge the status code, the body
 * and a value inside a JSON body. Immutable; every {@code with*} returns a copy.
 *
 * <p>Outcomes: an expected status (and body) is UP; UP but slower than
 * {@link #withDegradedAbove} is DEGRADED; an unexpected status, a failing body predicate, a
 * refused or reset connection, or a TLS failure is DOWN; no answer within the timeouts is UNKNOWN.
 * TLS certificates and host names are verified unless {@link #withoutTlsVerification()}.
 */
public interface HttpHealthCheck extends HealthCheck {

  /** Statuses from {@code from} to {@code to} (inclusive) are healthy; default 200–299. */
  HttpHealthCheck expectStatus(int from, int to);

  /** The body must satisfy {@code predicate}, described by {@code description} in the detail. */
  HttpHealthCheck expectBody(String description, Predicate<String> predicate);

  /** The body is JSON and the value at {@code pointer} (RFC 6901, e.g. "/status") equals {@code expected}. */
  HttpHealthCheck expectJson(String pointer, String expected);

  HttpHealthCheck withHeader(String name, String value);

  /** Sends {@code Authorization: Bearer <token>}; the token never appears in toString or details. */
  HttpHealthCheck withBearerToken(String token);

  /** How long connecting may take; default 2 s. Part of the check's whole time limit (below). */
  HttpHealthCheck withConnectTimeout(Duration timeout);

  /**
   * How long the response may take after connecting; default 5 s. A check waits at most the connect
   * timeout plus this, from the start of the request: a slow connect leaves less time to read.
   * Trigger rules count that sum as the check's worst case.
   */
  HttpHealthCheck withReadTimeout(Duration timeout);

  /** UP answers slower than {@code latency} count as DEGRADED. */
  HttpHealthCheck withDegradedAbove(Duration latency);

  /** Trust the certificates {@code context} trusts (a private CA), still verifying host names. */
  HttpHealthCheck withSslContext(SSLContext context);

  /** Accept any certificate and host name. Only for tests and drills on loopback. */
  HttpHealthCheck withoutTlsVerification();
}
