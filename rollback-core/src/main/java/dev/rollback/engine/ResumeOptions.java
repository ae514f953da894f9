package dev.rollback.engine;

import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Duration;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Options for resuming a run from its journal. Immutable; {@code with*} returns a copy. */
public final class ResumeOptions {
  private static final ResumeOptions DEFAULTS = new ResumeOptions(false, 0, null);
  private final boolean force;
  private final long fencingToken;
  private final @Nullable HeldLease lease;

  private ResumeOptions(boolean force, long fencingToken, @Nullable HeldLease lease) {
    this.force = force;
    this.fencingToken = fencingToken;
    this.lease = lease;
  }

  public static ResumeOptions defaults() {
    return DEFAULTS;
  }

  /** Resume although the plan's fingerprint changed; the differences are journaled. */
  public static ResumeOptions force() {
    return new ResumeOptions(true, 0, null);
  }

  public ResumeOptions withFencingToken(long token) {
    if (token < 0) throw new IllegalArgumentException("fencing token must not be negative: " + token);
    return new ResumeOptions(force, token, lease);
  }

  /** Resumes under {@code grant} of {@code lease}, as {@link RunOptions#withLease} starts a run under it. */
  public ResumeOptions withLease(Lease lease, LeaseGrant grant, Duration ttl) {
    return new ResumeOptions(force, grant.fencingToken(), new HeldLease(lease, grant, ttl));
  }

  public boolean isForced() { return force; }
  public long fencingToken() { return fencingToken; }
  public Optional<HeldLease> lease() { return Optional.ofNullable(lease); }
}
