package dev.rollback.flags;

import dev.rollback.Change;
import dev.rollback.Reconciliation;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Plan steps and release changes on one {@link FlagStore}: the fastest lever of a rollback.
 *
 * <pre>{@code
 * FeatureFlags flags = FeatureFlags.using(unleash)
 *     .withPropagationCheck(PropagationCheck.of(openFeatureClient));
 *
 * RollbackPlan.builder("checkout-2.4.0")
 *     .sequential("stop the bleeding", s -> s.step(flags.killSwitch("new-checkout")))
 *     ...
 * RollbackPlan.builder("drain slowly")
 *     .sequential("shift", s -> s.step(flags.shiftDown("new-checkout", oldPathHealth, 50, 10, 0)))
 *     ...
 * Release.builder("checkout-2.4.0")
 *     .change(flags.rampUp("new-checkout", health, 10, 50, 100))
 *     ...
 * }</pre>
 *
 * <p>Every step captures the flag's state when it starts (its undo snapshot), journals a note
 * with each write and, when a {@link PropagationCheck} is set, with how long the write took to
 * reach the OpenFeature client. Release changes capture the known-good state at release start and
 * revert to exactly that.
 */
public final class FeatureFlags {
  private static final Logger log = LoggerFactory.getLogger(FeatureFlags.class);

  private final FlagStore store;
  private final @Nullable PropagationCheck propagation;
  private final Duration gateTimeout;
  private final Duration gateInterval;

  private FeatureFlags(FlagStore store, @Nullable PropagationCheck propagation, Duration gateTimeout, Duration gateInterval) {
    this.store = store;
    this.propagation = propagation;
    this.gateTimeout = gateTimeout;
    this.gateInterval = gateInterval;
  }

  /** Steps on {@code store}; without a propagation check, a gate timeout of 1 minute polled every second. */
  public static FeatureFlags using(FlagStore store) {
    return new FeatureFlags(Objects.requireNonNull(store, "store"), null, Duration.ofMinutes(1), Duration.ofSeconds(1));
  }

  /** After every write, wait until {@code check}'s client evaluates the new state, and journal how long it took. */
  public FeatureFlags withPropagationCheck(PropagationCheck check) {
    return new FeatureFlags(store, Objects.requireNonNull(check, "check"), gateTimeout, gateInterval);
  }

  /** How long a health gate between two shift steps may take to report UP, and how often it is polled. */
  public FeatureFlags withGate(Duration timeout, Duration interval) {
    return new FeatureFlags(store, propagation, positive("gate timeout", timeout), positive("gate interval", interval));
  }

  public FlagStore store() {
    return store;
  }

  /**
   * Turns {@code flag} off for everyone in one write. Idempotent; reconciles by reading the flag;
   * its undo restores the state the flag had when the step started.
   */
  public Step killSwitch(String flag) {
    requireFlag(flag);
    return Step.builder("kill switch " + flag)
        .describedAs("turn flag '" + flag + "' off for everyone in " + store.describe())
        .captureForUndo(ctx -> store.read(flag).toSnapshot())
        .execute(ctx -> {
          store.disable(flag);
          afterWrite(ctx, store.read(flag), "flag '" + flag + "' turned off");
        })
        .reconcile(ctx -> store.read(flag).enabled() ? Reconciliation.NOT_APPLIED : Reconciliation.APPLIED)
        .undo(ctx -> restoreFrom(ctx, ctx.undoSnapshot(), "undo snapshot"))
        .idempotent()
        .build();
  }

  /**
   * Shifts users off {@code flag} gradually: sets each percentage in turn (strictly decreasing,
   * e.g. 50, 10, 0) and waits for {@code gate} to be UP between two of them. Never raises the
   * percentage: on a retry or resume it continues below the flag's current percentage. Fails,
   * leaving the flag at the last percentage reached, when the gate is not UP in time.
   */
  public Step shiftDown(String flag, HealthCheck gate, int... percents) {
    requireFlag(flag);
    Objects.requireNonNull(gate, "gate");
    int[] steps = monotone(flag, percents, false);
    String list = join(steps);
    return Step.builder("shift down " + flag)
        .describedAs("shift flag '" + flag + "' down " + list + " in " + store.describe() + ", gated by '" + gate.name() + "'")
        .captureForUndo(ctx -> store.read(flag).toSnapshot())
        .execute(ctx -> {
          FlagState now = store.read(flag);
          int current = !now.enabled() ? 0 : now.rollout() instanceof Rollout.Percentage p ? p.percent() : 101;
          boolean first = true;
          for (int pct : steps) {
            if (pct >= current) continue; // never raise exposure in a shift down
            if (!first) awaitGate(ctx, gate, flag, pct);
            ctx.checkCancelled();
            store.setRollout(flag, Rollout.percent(pct));
            afterWrite(ctx, store.read(flag), "flag '" + flag + "' shifted to " + pct + "%");
            ctx.checkpoint("percent", Integer.toString(pct));
            first = false;
          }
        })
        .reconcile(ctx -> {
          FlagState s = store.read(flag);
          int last = steps[steps.length - 1];
          boolean done = last == 0 ? !s.enabled() || s.rollout().equals(Rollout.percent(0))
              : s.enabled() && s.rollout().equals(Rollout.percent(last));
          return done ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED;
        })
        .undo(ctx -> restoreFrom(ctx, ctx.undoSnapshot(), "undo snapshot"))
        .idempotent()
        .build();
  }

  /**
   * Sets {@code flag}'s rollout in one write: a percentage, or variant weights, e.g. sending
   * everyone back to the old variant with {@code Rollout.weights("v1", 100, "v2", 0)}. With a
   * propagation check, waits until the client evaluates the new split, checking users it moves
   * from the state at step start. Idempotent; its undo restores the state the flag had when the
   * step started.
   */
  public Step setRollout(String flag, Rollout rollout) {
    requireFlag(flag);
    Objects.requireNonNull(rollout, "rollout");
    if (rollout instanceof Rollout.Custom) throw new IllegalArgumentException("flag '" + flag + "': a custom rollout can only be restored");
    return Step.builder("set rollout " + flag)
        .describedAs("set flag '" + flag + "' to " + rollout.encode() + " in " + store.describe())
        .captureForUndo(ctx -> store.read(flag).toSnapshot())
        .execute(ctx -> {
          FlagState before = ctx.undoSnapshot().map(FlagState::fromSnapshot).orElse(null);
          store.setRollout(flag, rollout);
          afterWrite(ctx, store.read(flag), before, "flag '" + flag + "' set to " + rollout.encode());
        })
        .reconcile(ctx -> {
          FlagState s = store.read(flag);
          return s.enabled() && sameSplit(s.rollout(), rollout) ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED;
        })
        .undo(ctx -> restoreFrom(ctx, ctx.undoSnapshot(), "undo snapshot"))
        .idempotent()
        .build();
  }

  /** Whether two rollouts split users alike: equal, or weights in the same proportions (Unleash stores per mille). */
  static boolean sameSplit(Rollout a, Rollout b) {
    if (a.equals(b)) return true;
    if (!(a instanceof Rollout.Weights x) || !(b instanceof Rollout.Weights y)) return false;
    java.util.Set<String> names = new java.util.HashSet<>(x.weights().keySet());
    names.addAll(y.weights().keySet());
    for (String n : names) {
      long l = (long) x.weights().getOrDefault(n, 0) * y.total();
      long r = (long) y.weights().getOrDefault(n, 0) * x.total();
      if (l != r) return false;
    }
    return true;
  }

  /**
   * Restores the state {@code flag} had when the release started or the guard was armed (captured
   * then and journaled). Idempotent; its undo restores the state at step start.
   */
  public Step restoreKnownGood(String flag) {
    requireFlag(flag);
    return Step.builder("restore " + flag)
        .describedAs("restore flag '" + flag + "' to its known-good state in " + store.describe())
        .captureKnownGood(ctx -> store.read(flag).toSnapshot())
        .captureForUndo(ctx -> store.read(flag).toSnapshot())
        .execute(ctx -> restoreFrom(ctx, ctx.knownGood(), "known-good state"))
        .undo(ctx -> restoreFrom(ctx, ctx.undoSnapshot(), "undo snapshot"))
        .idempotent()
        .build();
  }

  /** Restores {@code flag} to an explicit {@code target} given in the plan. */
  public Step restore(FlagState target) {
    Objects.requireNonNull(target, "target");
    return Step.builder("restore " + target.flag())
        .describedAs("restore " + target.describe() + " in " + store.describe())
        .captureForUndo(ctx -> store.read(target.flag()).toSnapshot())
        .execute(ctx -> restoreFrom(ctx, java.util.Optional.of(target.toSnapshot()), "target"))
        .undo(ctx -> restoreFrom(ctx, ctx.undoSnapshot(), "undo snapshot"))
        .idempotent()
        .build();
  }

  /** A release change: turn {@code flag} on with {@code rollout}; reverting restores the known-good state exactly. */
  public Change turnOn(String flag, Rollout rollout) {
    requireFlag(flag);
    Objects.requireNonNull(rollout, "rollout");
    Step apply = Step.builder("apply")
        .describedAs("turn flag '" + flag + "' on at " + rollout.encode() + " in " + store.describe())
        .execute(ctx -> {
          FlagState before = rollout instanceof Rollout.Weights ? store.read(flag) : null;
          store.setRollout(flag, rollout);
          afterWrite(ctx, store.read(flag), before, "flag '" + flag + "' on at " + rollout.encode());
        })
        .idempotent()
        .build();
    return Change.of("turn on " + flag, apply, revertStep(flag))
        .capturingKnownGood(ctx -> store.read(flag).toSnapshot());
  }

  /**
   * A release change: ramp {@code flag} up through {@code percents} (strictly increasing), waiting
   * for {@code gate} to be UP between two of them; reverting restores the known-good state exactly.
   */
  public Change rampUp(String flag, HealthCheck gate, int... percents) {
    requireFlag(flag);
    Objects.requireNonNull(gate, "gate");
    int[] steps = monotone(flag, percents, true);
    Step apply = Step.builder("apply")
        .describedAs("ramp flag '" + flag + "' up " + join(steps) + " in " + store.describe() + ", gated by '" + gate.name() + "'")
        .execute(ctx -> {
          boolean first = true;
          for (int pct : steps) {
            if (!first) awaitGate(ctx, gate, flag, pct);
            ctx.checkCancelled();
            store.setRollout(flag, Rollout.percent(pct));
            afterWrite(ctx, store.read(flag), "flag '" + flag + "' ramped to " + pct + "%");
            first = false;
          }
        })
        .build();
    return Change.of("ramp up " + flag, apply, revertStep(flag))
        .capturingKnownGood(ctx -> store.read(flag).toSnapshot());
  }

  private Step revertStep(String flag) {
    return Step.builder("revert")
        .describedAs("restore flag '" + flag + "' to its known-good state in " + store.describe())
        .execute(ctx -> restoreFrom(ctx, ctx.knownGood(), "known-good state"))
        .idempotent()
        .build();
  }

  private void restoreFrom(StepContext ctx, java.util.Optional<Snapshot> snapshot, String what) {
    Snapshot s = snapshot.orElseThrow(() -> new IllegalStateException(
        "step '" + ctx.stepPath() + "' of '" + ctx.planName() + "' has no " + what + " to restore"));
    FlagState target = FlagState.fromSnapshot(s);
    store.restore(target);
    afterWrite(ctx, target, "restored " + target.describe() + " from the " + what);
  }

  private void afterWrite(StepContext ctx, FlagState expected, String what) {
    afterWrite(ctx, expected, null, what);
  }

  private void afterWrite(StepContext ctx, FlagState expected, @Nullable FlagState previous, String what) {
    if (propagation == null) {
      ctx.note(what + " in " + store.describe());
      return;
    }
    if (!propagation.canCheck(expected)) {
      ctx.note(what + " in " + store.describe() + "; propagation not checked (custom targeting rule)");
      return;
    }
    PropagationCheck.Seen seen = propagation.awaitVisible(store, expected, previous);
    String note = what + " in " + store.describe() + "; visible to the OpenFeature client after "
        + String.format(java.util.Locale.ROOT, "%.1f", seen.took().toNanos() / 1e6) + " ms (" + seen.describe() + ")";
    log.info("{}", note);
    ctx.note(note);
  }

  private void awaitGate(StepContext ctx, HealthCheck gate, String flag, int next) throws InterruptedException {
    Instant giveUp = ctx.clock().instant().plus(gateTimeout);
    Instant deadline = ctx.deadline();
    Health h;
    while (true) {
      ctx.checkCancelled();
      h = gate.check();
      if (h.isUp()) {
        ctx.note("health gate '" + gate.name() + "' UP before shifting flag '" + flag + "' to " + next + "%: " + h.detail());
        return;
      }
      Instant now = ctx.clock().instant();
      if (!now.isBefore(giveUp) || !now.plus(gateInterval).isBefore(deadline)) break;
      Duration left = Duration.between(now, giveUp);
      ctx.sleep(left.compareTo(gateInterval) < 0 ? left : gateInterval);
    }
    throw new FlagException("health gate '" + gate.name() + "' was not UP within " + gateTimeout
        + " before shifting flag '" + flag + "' to " + next + "% (last: " + h + "); the flag stays at its last step: "
        + store.read(flag).describe());
  }

  private static int[] monotone(String flag, int[] percents, boolean increasing) {
    Objects.requireNonNull(percents, "percents");
    if (percents.length == 0) throw new IllegalArgumentException("flag '" + flag + "': at least one percentage is needed");
    for (int i = 0; i < percents.length; i++) {
      int p = percents[i];
      if (p < 0 || p > 100) throw new IllegalArgumentException("flag '" + flag + "': percentage must be 0..100: " + p);
      if (i > 0 && (increasing ? p <= percents[i - 1] : p >= percents[i - 1])) {
        throw new IllegalArgumentException("flag '" + flag + "': percentages must be strictly "
            + (increasing ? "increasing" : "decreasing") + ": " + join(percents));
      }
    }
    return percents.clone();
  }

  private static String join(int[] percents) {
    return Arrays.stream(percents).mapToObj(p -> p + "%").collect(Collectors.joining(" → "));
  }

  private static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
    return d;
  }

  private static void requireFlag(String flag) {
    Objects.requireNonNull(flag, "flag");
    if (flag.isBlank()) throw new IllegalArgumentException("flag key must not be blank");
  }

  @Override
  public String toString() {
    return "FeatureFlags[" + store.describe() + "]";
  }
}
