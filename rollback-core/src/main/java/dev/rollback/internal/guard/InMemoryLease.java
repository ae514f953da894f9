package dev.rollback.internal.guard;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** A lease in one JVM: per name a holder, an expiry and a fencing token that grows with every new grant. */
public final class InMemoryLease implements Lease {
  private static final class State {
    String holder = "";
    long token;
    Instant expiresAt = Instant.MIN;
  }

  private final Clock clock;
  private final Map<String, State> leases = new HashMap<>();

  public InMemoryLease(Clock clock) {
    this.clock = clock;
  }

  private static void check(Duration ttl) {
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("lease ttl must be positive: " + ttl);
  }

  @Override
  public synchronized Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(holder, "holder");
    check(ttl);
    Instant now = clock.instant();
    State s = leases.computeIfAbsent(name, n -> new State());
    boolean free = s.holder.isEmpty() || !now.isBefore(s.expiresAt);
    if (!free && !s.holder.equals(holder)) return Optional.empty();
    if (free || s.token == 0) s.token++;
    s.holder = holder;
    s.expiresAt = now.plus(ttl);
    return Optional.of(new LeaseGrant(name, holder, s.token, s.expiresAt));
  }

  @Override
  public synchronized Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
    check(ttl);
    State s = leases.get(grant.name());
    if (s == null || !s.holder.equals(grant.holder()) || s.token != grant.fencingToken()) return Optional.empty();
    s.expiresAt = clock.instant().plus(ttl);
    return Optional.of(new LeaseGrant(grant.name(), grant.holder(), s.token, s.expiresAt));
  }

  @Override
  public synchronized void release(LeaseGrant grant) {
    State s = leases.get(grant.name());
    if (s != null && s.holder.equals(grant.holder()) && s.token == grant.fencingToken()) {
      s.holder = "";
      s.expiresAt = Instant.MIN;
    }
  }

  @Override
  public String toString() {
    return "Leases.inMemory()";
  }
}
