package dev.rollback.test;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A {@link Lease} whose takeover a test scripts, for modules whose system has no lease store of
 * its own: another replica takes it over at a chosen moment ({@link #takeOver}, as a replica whose
 * clock judged it expired would), or the store becomes unreachable ({@link #unreachable}).
 * Otherwise it behaves as {@code Leases.inMemory(clock)}. Records every call.
 *
 * <pre>{@code
 * ScriptedLease lease = ScriptedLease.on(clock);
 * LeaseGrant mine = lease.tryAcquire("rollback-guard-checkout@2.4.0", "pod-1", ttl).orElseThrow();
 * RollbackRun run = engine.start(plan, deployment, RunOptions.defaults().withLease(lease, mine, ttl));
 * ...
 * LeaseGrant theirs = lease.takeOver("pod-2", ttl);   // the run loses it at its next renewal
 * }</pre>
 */
public final class ScriptedLease implements Lease {
  private final Clock clock;
  private String name = "";
  private String holder = "";
  private long token;
  private Instant expiresAt = Instant.MIN;
  private boolean unreachable;
  private final List<String> calls = new ArrayList<>();

  private ScriptedLease(Clock clock) {
    this.clock = clock;
  }

  /** A free lease whose expiry follows {@code clock}. */
  public static ScriptedLease on(Clock clock) {
    return new ScriptedLease(Objects.requireNonNull(clock, "clock"));
  }

  /** Another replica takes the lease over now, whoever holds it: a new grant with the next token. */
  public synchronized LeaseGrant takeOver(String newHolder, Duration ttl) {
    Objects.requireNonNull(newHolder, "newHolder");
    token++;
    holder = newHolder;
    expiresAt = clock.instant().plus(ttl);
    calls.add("takeOver " + newHolder + " token " + token);
    return new LeaseGrant(name.isEmpty() ? "lease" : name, newHolder, token, expiresAt);
  }

  /** Every call from now on throws, as a lease store that cannot be reached; {@code false} heals it. */
  public synchronized void unreachable(boolean unreachable) {
    this.unreachable = unreachable;
  }

  /** Who holds the lease now; empty when it is free. */
  public synchronized String holder() {
    return holder;
  }

  /** Every call so far, e.g. {@code "renew pod-1 token 1"}, {@code "release pod-1 token 1"}. */
  public synchronized List<String> calls() {
    return List.copyOf(calls);
  }

  private void reach() {
    if (unreachable) throw new IllegalStateException("lease store unreachable (scripted by the test)");
  }

  @Override
  public synchronized Optional<LeaseGrant> tryAcquire(String name, String who, Duration ttl) {
    calls.add("acquire " + who);
    reach();
    this.name = name;
    Instant now = clock.instant();
    boolean free = holder.isEmpty() || !now.isBefore(expiresAt);
    if (!free && !holder.equals(who)) return Optional.empty();
    if (free) token++;
    holder = who;
    expiresAt = now.plus(ttl);
    return Optional.of(new LeaseGrant(name, who, token, expiresAt));
  }

  @Override
  public synchronized Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
    calls.add("renew " + grant.holder() + " token " + grant.fencingToken());
    reach();
    if (!holder.equals(grant.holder()) || token != grant.fencingToken()) return Optional.empty();
    expiresAt = clock.instant().plus(ttl);
    return Optional.of(new LeaseGrant(grant.name(), grant.holder(), token, expiresAt));
  }

  @Override
  public synchronized void release(LeaseGrant grant) {
    calls.add("release " + grant.holder() + " token " + grant.fencingToken());
    reach();
    if (holder.equals(grant.holder()) && token == grant.fencingToken()) {
      holder = "";
      expiresAt = Instant.MIN;
    }
  }

  @Override
  public synchronized String toString() {
    return "ScriptedLease[" + (holder.isEmpty() ? "free" : holder + ", token " + token) + "]";
  }
}
