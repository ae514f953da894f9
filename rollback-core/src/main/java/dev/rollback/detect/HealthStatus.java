package dev.rollback.detect;

/** The state a {@link HealthCheck} observed. */
public enum HealthStatus {
  UP,
  /** Working, but worse than it should (slow, partly failing). Not UP for verification. */
  DEGRADED,
  DOWN,
  /** The check could not tell (timed out, unreachable, bad data). Never treated as UP. */
  UNKNOWN
}
