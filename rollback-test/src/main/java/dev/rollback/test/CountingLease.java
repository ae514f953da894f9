package dev.rollback.test;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.guard.LeaseUnavailableException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A lease that counts what passes through it: attempts, grants, and the failures (those the store
 * asked to retry later, {@link LeaseUnavailableException}, and the others). For lease benchmarks
 * and tests; share one instance's counters between replicas with {@link #wrap}.
 */
public final class CountingLease implements Lease {
  /** Counters shared by every lease wrapped with them. */
  public static final class Counts {
    public final AtomicLong attempts = new AtomicLong();
    public final AtomicLong grants = new AtomicLong();
    public final AtomicLong unavailable = new AtomicLong();
    public final AtomicLong otherFailures = new AtomicLong();

    @Override
    public String toString() {
      return attempts + " attempts, " + grants + " grants, " + unavailable + " answered 'retry later' (429/5xx), "
          + otherFailures + " other failures";
    }
  }

  private final Lease lease;
  private final Counts counts;

  private CountingLease(Lease lease, Counts counts) {
    this.lease = lease;
    this.counts = counts;
  }

  public static CountingLease wrap(Lease lease, Counts counts) {
    return new CountingLease(Objects.requireNonNull(lease, "lease"), Objects.requireNonNull(counts, "counts"));
  }

  @Override
  public Optional<LeaseGrant> tryAcquire(String name, String holder, Duration ttl) {
    counts.attempts.incrementAndGet();
    try {
      Optional<LeaseGrant> g = lease.tryAcquire(name, holder, ttl);
      if (g.isPresent()) counts.grants.incrementAndGet();
      return g;
    } catch (LeaseUnavailableException e) {
      counts.unavailable.incrementAndGet();
      throw e;
    } catch (RuntimeException e) {
      counts.otherFailures.incrementAndGet();
      throw e;
    }
  }

  @Override
  public Optional<LeaseGrant> renew(LeaseGrant grant, Duration ttl) {
    return lease.renew(grant, ttl);
  }

  @Override
  public void release(LeaseGrant grant) {
    lease.release(grant);
  }

  @Override
  public String toString() {
    return lease.toString();
  }
}
