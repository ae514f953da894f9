package dev.rollback.engine;

import dev.rollback.detect.Trigger;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Options for resuming a run from its journal. Immutable; {@code with*} returns a copy. */
public final class ResumeOptions {
  private static final ResumeOptions DEFAULTS = new ResumeOptions(false, 0, null, null, List.of());
  private final boolean force;
  private final long fencingToken;
  private final @Nullable HeldLease lease;
  private final @Nullable Duration soak;
  private final List<Trigger> soakTriggers;

  private ResumeOptions(boolean force, long fencingToken, @Nullable HeldLease lease, @Nullable Duration soak,
      List<Trigger> soakTriggers) {
    this.force = force;
    this.fencingToken = fencingToken;
    this.lease = lease;
    this.soak = soak;
    this.soakTriggers = List.copyOf(soakTriggers);
  }

  public static ResumeOptions defaults() {
    return DEFAULTS;
  }

  /** Resume although the plan's fingerprint changed; the differences are journaled. */
  public static ResumeOptions force() {
    return new ResumeOptions(true, 0, null, null, List.of());
  }

  public ResumeOptions withFencingToken(long token) {
    if (token < 0) throw new IllegalArgumentException("fencing token must not be negative: " + token);
    return new ResumeOptions(force, token, lease, soak, soakTriggers);
  }

  /** Resumes under {@code grant} of {@code lease}, as {@link RunOptions#withLease} starts a run under it. */
  public ResumeOptions withLease(Lease lease, LeaseGrant grant, Duration ttl) {
    return new ResumeOptions(force, grant.fencingToken(), new HeldLease(lease, grant, ttl), soak, soakTriggers);
  }

  /** The soak the resumed run watches after it recovers, as {@link RunOptions#withSoak}. */
  public ResumeOptions withSoak(Duration window, List<Trigger> triggers) {
    Objects.requireNonNull(window, "window");
    if (window.isNegative()) throw new IllegalArgumentException("soak window must not be negative: " + window);
    return new ResumeOptions(force, fencingToken, lease, window, Objects.requireNonNull(triggers, "triggers"));
  }

  public boolean isForced() { return force; }
  public Optional<Duration> soak() { return Optional.ofNullable(soak); }
  public List<Trigger> soakTriggers() { return soakTriggers; }
  public long fencingToken() { return fencingToken; }
  public Optional<HeldLease> lease() { return Optional.ofNullable(lease); }
}
