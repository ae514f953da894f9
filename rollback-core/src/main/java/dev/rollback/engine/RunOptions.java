package dev.rollback.engine;

import dev.rollback.KnownGood;
import dev.rollback.detect.Trigger;
import java.util.List;
import dev.rollback.guard.Lease;
import dev.rollback.guard.LeaseGrant;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** Options for starting a run. Immutable; {@code with*} returns a copy. */
public final class RunOptions {
  private static final RunOptions DEFAULTS = new RunOptions(null, "", null, 0, null, null, List.of());

  private final @Nullable String runId;
  private final String reason;
  private final @Nullable KnownGood knownGood;
  private final long fencingToken;
  private final @Nullable HeldLease lease;
  private final @Nullable Duration soak;
  private final List<Trigger> soakTriggers;

  private RunOptions(@Nullable String runId, String reason, @Nullable KnownGood knownGood, long fencingToken,
      @Nullable HeldLease lease, @Nullable Duration soak, List<Trigger> soakTriggers) {
    this.runId = runId;
    this.reason = reason;
    this.knownGood = knownGood;
    this.fencingToken = fencingToken;
    this.lease = lease;
    this.soak = soak;
    this.soakTriggers = List.copyOf(soakTriggers);
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
    return new RunOptions(runId, reason, knownGood, fencingToken, lease, soak, soakTriggers);
  }

  /** Why the run starts (a trigger's evidence, "manual rollback by alice"); journaled and reported. */
  public RunOptions withReason(String reason) {
    return new RunOptions(runId, Objects.requireNonNull(reason, "reason"), knownGood, fencingToken, lease, soak, soakTriggers);
  }

  /** The known-good state captured earlier; the run continues under its run id. */
  public RunOptions withKnownGood(KnownGood knownGood) {
    Objects.requireNonNull(knownGood, "knownGood");
    return new RunOptions(knownGood.runId(), reason, knownGood, fencingToken, lease, soak, soakTriggers);
  }

  /**
   * The fencing token of the lease this replica holds; every journal append carries it. The run
   * neither renews nor checks the lease: use {@link #withLease} for that.
   */
  public RunOptions withFencingToken(long token) {
    if (token < 0) throw new IllegalArgumentException("fencing token must not be negative: " + token);
    return new RunOptions(runId, reason, knownGood, token, lease, soak, soakTriggers);
  }

  /**
   * Acts under {@code grant} of {@code lease}: the run renews it every {@code ttl / 3}, fences its
   * journal with the grant's token, shows it to its steps ({@code ctx.lease()}), stops without
   * writing anything more when it is lost, and releases it when it ends. See {@link HeldLease}.
   */
  public RunOptions withLease(Lease lease, LeaseGrant grant, Duration ttl) {
    HeldLease held = new HeldLease(lease, grant, ttl);
    return new RunOptions(runId, reason, knownGood, grant.fencingToken(), held, soak, soakTriggers);
  }

  /**
   * After the rollback recovered, watch for {@code window} (overriding the plan's soak; zero for no
   * soak): the plan's {@code verifiedBy} checks and {@code triggers} (evaluators created when the
   * soak starts, so what they saw of the bad release does not count) are evaluated at the plan's soak
   * interval (10 s, or the window if shorter, when the plan has none); a regression makes the run
   * NOT_RECOVERED. What a guard passes for its own triggers.
   */
  public RunOptions withSoak(Duration window, List<Trigger> triggers) {
    Objects.requireNonNull(window, "window");
    if (window.isNegative()) throw new IllegalArgumentException("soak window must not be negative: " + window);
    return new RunOptions(runId, reason, knownGood, fencingToken, lease, window, Objects.requireNonNull(triggers, "triggers"));
  }

  public Optional<String> runId() { return Optional.ofNullable(runId); }
  /** Why the run starts; empty when none was given (the engine then journals what it knows). */
  public String reason() { return reason; }
  public Optional<KnownGood> knownGood() { return Optional.ofNullable(knownGood); }
  public long fencingToken() { return fencingToken; }
  /** The lease the run acts under, if one was given with {@link #withLease}. */
  public Optional<HeldLease> lease() { return Optional.ofNullable(lease); }
  /** The soak window given with {@link #withSoak}, overriding the plan's. */
  public Optional<Duration> soak() { return Optional.ofNullable(soak); }
  /** The triggers given with {@link #withSoak}. */
  public List<Trigger> soakTriggers() { return soakTriggers; }
}
