package dev.rollback.engine;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Duration;
import java.util.Objects;

/**
 * A lease a run acts under: the {@link Lease}, the grant this replica holds, and the TTL it renews
 * the grant with. Give it to {@link RunOptions#withLease} or {@link ResumeOptions#withLease}: the
 * run renews the grant every third of the TTL while it runs, fences every journal append with its
 * token, shows it to its steps ({@code ctx.lease()}), stops when it is lost (the step in flight is
 * interrupted and recorded as in doubt, nothing more is written), and releases it when it ends,
 * before {@link RollbackRun#result()} completes.
 */
public record HeldLease(Lease lease, LeaseGrant grant, Duration ttl) {
  public HeldLease {
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(grant, "grant");
    Objects.requireNonNull(ttl, "ttl");
    if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("lease ttl must be positive: " + ttl);
  }

  /** How often the run renews the grant: a third of the TTL. */
  public Duration renewEvery() {
    return ttl.dividedBy(3);
  }
}
