package dev.rollback.detect;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The result of one {@link HealthCheck}: status, how long the check took, a detail a human can
 * read, and for composite checks each member's result.
 */
public record Health(String check, HealthStatus status, Duration latency, String detail, List<Health> members) {
  public Health {
    Objects.requireNonNull(check, "check");
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(latency, "latency");
    Objects.requireNonNull(detail, "detail");
    members = List.copyOf(members);
  }

  public static Health up(String check, Duration latency, String detail) {
    return new Health(check, HealthStatus.UP, latency, detail, List.of());
  }

  public static Health of(String check, HealthStatus status, Duration latency, String detail) {
    return new Health(check, status, latency, detail, List.of());
  }

  public boolean isUp() {
    return status == HealthStatus.UP;
  }

  @Override
  public String toString() {
    return check + " " + status + " in " + latency.toMillis() + " ms: " + detail;
  }
}
