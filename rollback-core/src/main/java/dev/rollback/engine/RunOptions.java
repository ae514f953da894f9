package dev.rollback.engine;

import dev.rollback.KnownGood;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Options for starting a run. Immutable; {@code with*} returns a copy. */
public final class RunOptions {
  private static final RunOptions DEFAULTS = new RunOptions(null, "", null, 0, null);

  private final @Nullable String runId;
  private final String reason;
  private final @Nullable KnownGood knownGood;
  private final long fencingToken;
  private final @Nullable HeldLease lease;

  private RunOptions(@Nullable String runId, String reason, @Nullable KnownGood knownGood, long fencingToken,
      @Nullable HeldLease lease) {
    this.runId = runId;
    this.reason = reason;
    this.knownGood = knownGood;
    this.fencingToken = fencingToken;
    this.lease = lease;
  }

  public static RunOptions defaults() {
    return DEFAULTS;
  }

  /** Use this run id instead of a generated one (letters, digits, '-', '_', '.'). */
  public RunOptions withRunId(String runId) {
    Objects.requireNonNull(runId, "runId");
    if (!runId.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")) {
      throw new IllegalArgumentException("run id must be 1-128 letters, digits, '-', '_' or '.', starting with a letter or digit: '" + runId + "'");
    }
    return new RunOptions(runId, reason, knownGood, fencingToken, lease);
  }

  /** Why the run starts (a trigger's evidence, "manual rollback by alice"); journaled and reported. */
  public RunOptions withReason(String reason) {
    return new RunOptions(runId, Objects.requireNonNull(reason, "reason"), knownGood, fencingToken, lease);
  }

  /** The known-good state captured earlier; the run continues under its run id. */
  public RunOptions withKnownGood(KnownGood knownGood) {
    Objects.requireNonNull(knownGood, "knownGood");
    return new RunOptions(knownGood.runId(), reason, knownGood, fencingToken, lease);
  }

  /**
   * The fencing token of the lease this replica holds; every journal append carries it. The run
   * neither renews nor checks the lease: use {@link #withLease} for that.
   */
  public RunOptions withFencingToken(long token) {
    if (token < 0) throw new IllegalArgumentException("fencing token must not be negative: " + token);
    return new RunOptions(runId, reason, knownGood, token, lease);
  }

  /**
   * Acts under {@code grant} of {@code lease}: the run renews it every {@code ttl / 3}, fences its
   * journal with the grant's token, shows it to its steps ({@code ctx.lease()}), stops without
   * writing anything more when it is lost, and releases it when it ends. See {@link HeldLease}.
   */
  public RunOptions withLease(Lease lease, LeaseGrant grant, Duration ttl) {
    HeldLease held = new HeldLease(lease, grant, ttl);
    return new RunOptions(runId, reason, knownGood, grant.fencingToken(), held);
  }

  public Optional<String> runId() { return Optional.ofNullable(runId); }
  /** Why the run starts; empty when none was given (the engine then journals what it knows). */
  public String reason() { return reason; }
  public Optional<KnownGood> knownGood() { return Optional.ofNullable(knownGood); }
  public long fencingToken() { return fencingToken; }
  /** The lease the run acts under, if one was given with {@link #withLease}. */
  public Optional<HeldLease> lease() { return Optional.ofNullable(lease); }
}
