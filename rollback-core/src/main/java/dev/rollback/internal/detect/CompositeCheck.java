package dev.rollback.internal.detect;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * All / any / quorum of member checks, run one after another; each member's result is kept in
 * {@link Health#members()}. A quorum of k is UP with k members UP; DEGRADED with k UP or
 * DEGRADED; UNKNOWN when k could still be reached counting UNKNOWN members; otherwise DOWN.
 */
public final class CompositeCheck implements HealthCheck, TimedCheck {
  private final String name;
  private final List<HealthCheck> members;
  private final int quorum;
  private final String mode;

  private CompositeCheck(String name, List<HealthCheck> members, int quorum, String mode) {
    Objects.requireNonNull(name, "name");
    if (members.isEmpty()) throw new IllegalArgumentException("composite check '" + name + "' has no members");
    members.forEach(m -> Objects.requireNonNull(m, "member of '" + name + "'"));
    if (quorum < 1 || quorum > members.size()) {
      throw new IllegalArgumentException("check '" + name + "': quorum must be 1-" + members.size() + ": " + quorum);
    }
    this.name = name;
    this.members = List.copyOf(members);
    this.quorum = quorum;
    this.mode = mode;
  }

  public static CompositeCheck all(String name, List<HealthCheck> members) {
    return new CompositeCheck(name, members, members.size(), "all");
  }

  public static CompositeCheck any(String name, List<HealthCheck> members) {
    return new CompositeCheck(name, members, 1, "any");
  }

  public static CompositeCheck quorum(String name, int k, List<HealthCheck> members) {
    return new CompositeCheck(name, members, k, "quorum of " + k);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Duration timeout() {
    Duration d = Duration.ZERO;
    for (HealthCheck c : members) if (c instanceof TimedCheck t) d = d.plus(t.timeout());
    return d;
  }

  @Override
  public Health check() {
    long start = System.nanoTime();
    List<Health> results = new ArrayList<>();
    int up = 0;
    int degraded = 0;
    int unknown = 0;
    for (HealthCheck c : members) {
      Health h;
      try {
        h = c.check();
        if (h == null) h = Health.of(c.name(), HealthStatus.UNKNOWN, Duration.ZERO, "the check returned null");
      } catch (RuntimeException e) {
        h = Health.of(c.name(), HealthStatus.UNKNOWN, Duration.ZERO, "the check threw " + e);
      }
      results.add(h);
      switch (h.status()) {
        case UP -> up++;
        case DEGRADED -> degraded++;
        case UNKNOWN -> unknown++;
        default -> { }
      }
    }
    HealthStatus s;
    if (up >= quorum) s = HealthStatus.UP;
    else if (up + degraded >= quorum) s = HealthStatus.DEGRADED;
    else if (up + degraded + unknown >= quorum) s = HealthStatus.UNKNOWN;
    else s = HealthStatus.DOWN;
    List<String> notUp = new ArrayList<>();
    for (Health h : results) if (h.status() != HealthStatus.UP) notUp.add(h.check() + " " + h.status() + ": " + h.detail());
    String detail = up + " of " + members.size() + " UP (" + mode + ")" + (notUp.isEmpty() ? "" : "; " + String.join("; ", notUp));
    return new Health(name, s, Duration.ofNanos(System.nanoTime() - start), detail, results);
  }

  @Override
  public String toString() {
    return "CompositeHealthCheck[" + name + ", " + mode + " of " + members.size() + "]";
  }
}
