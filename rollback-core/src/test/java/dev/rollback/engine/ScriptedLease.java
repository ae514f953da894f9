package dev.rollback.engine;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/**
 * One lease with a script for what real lease stores do to a holder: another replica takes it
 * over ({@link #takeOver}, as one whose clock judged it expired would), or the store becomes
 * unreachable ({@link #unreachable}). Counts renewals and records releases.
 */
final class ScriptedLease implements Lease {
  private final Clock clock;
  private String holder = "";
  private long token;
  private Instant expiresAt = Instant.MIN;
  private boolean unreachable;
  final List<String> calls = Collections.synchronizedList(new ArrayList<>());

  ScriptedLease(Clock clock) {
    this.clock = clock;
  }

  synchronized LeaseGrant takeOver(String newHolder, Duration ttl) {
    token++;
    holder = newHolder;
    expiresAt = clock.instant().plus(ttl);
    calls.add("takeOver " + newHolder + " token " + token);
    return new LeaseGrant("lease", newHolder, token, expiresAt);
  }

  synchronized void unreachable(boolean yes) {
    unreachable = yes;
  }

  synchronized String holder() {
    return holder;
  }

  synchronized long token() {
    return token;
  }

  @Override
  public synchronized Optional<LeaseGrant> tryAcquire(String name, String who, Duration ttl) {
    if (unreachable) throw new IllegalStateException("lease store unreachable");
    Instant now = clock.instant();
    boolean free = holder.isEmpty() || !now.isBefore(expiresAt);
    if (!free && !holder.equals(who)) return Optional.empty();
    if (free) token++;
    holder = who;
    expiresAt = now.plus(ttl);
    calls.add("acquire " + who + " token " + token);
    return Optional.of(new LeaseGrant(name, who, token, expiresAt));
  }

  @Override
  public synchronized Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
    calls.add("renew " + grant.holder() + " token " + grant.fencingToken());
    if (unreachable) throw new IllegalStateException("lease store unreachable");
    if (!holder.equals(grant.holder()) || token != grant.fencingToken()) return Optional.empty();
    expiresAt = clock.instant().plus(ttl);
    return Optional.of(new LeaseGrant(grant.name(), grant.holder(), token, expiresAt));
  }

  @Override
  public synchronized void release(LeaseGrant grant) {
    calls.add("release " + grant.holder() + " token " + grant.fencingToken());
    if (holder.equals(grant.holder()) && token == grant.fencingToken()) {
      holder = "";
      expiresAt = Instant.MIN;
    }
  }
}
