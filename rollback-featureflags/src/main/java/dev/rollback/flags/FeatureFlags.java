package dev.rollback.flags;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.HealthCheck;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateStepException;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

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
 * <p>The steps are derived by {@link StateSteps} from the flag's {@link StateAdapter}
 * ({@link #flag(FlagStore, String)}): every step journals the flag's state when it starts (its
 * undo snapshot, which its undo restores), writes nothing when the flag already has the target,
 * is idempotent, reconciles by reading the flag, and fails with a
 * {@link dev.rollback.spi.StateStepException} naming the step, the flag and the store, whose
 * cause says what the store refused. After each write it reads the flag back; with a
 * {@link PropagationCheck} it instead polls until the check's OpenFeature client evaluates the
 * new state, and journals how long that took. Release changes capture the known-good state at
 * release start and revert to exactly that.
 */
public final class FeatureFlags {
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

  /**
   * After every write, poll {@code check} (every {@link PropagationCheck#withPollInterval poll
   * interval}, for at most its {@link PropagationCheck#withTimeout timeout}) until its client
   * evaluates the new state, and journal how long it took.
   */
  public FeatureFlags withPropagationCheck(PropagationCheck check) {
    return new FeatureFlags(store, Objects.requireNonNull(check, "check"), gateTimeout, gateInterval);
  }

  /** How long the health gate after each percentage of a shift or ramp may take to report UP (default 1 minute). */
  public FeatureFlags withGateTimeout(Duration timeout) {
    return new FeatureFlags(store, propagation, positive("gate timeout", timeout), gateInterval);
  }

  /** How often that health gate is polled (default every second). */
  public FeatureFlags withGateInterval(Duration interval) {
    return new FeatureFlags(store, propagation, gateTimeout, positive("gate interval", interval));
  }

  public FlagStore store() {
    return store;
  }

  // ------------------------------------------------------------------ the adapter

  /**
   * {@code flag} in {@code store} as a {@link StateAdapter}, for {@link StateSteps} and for the
   * adapter contract test ({@code StateAdapterContract} in {@code rollback-test}):
   * <ul>
   *   <li>{@code read}: the store's state of the flag;
   *   <li>{@code apply}: nothing when the flag already matches the target; otherwise the kill
   *       switch for {@link FlagState#off}, {@link FlagStore#setRollout} for
   *       {@link FlagState#on}, and a verbatim {@link FlagStore#restore} for a captured state;
   *   <li>{@code matches}: both off, or both on with the same split ({@link #sameSplit}, so
   *       Unleash's per-mille weights match the relative weights they were set from); the
   *       native definition is compared only for a custom rule ({@link FlagStore#sameRule});
   *   <li>{@code settled}: a matching read.
   * </ul>
   */
  public static StateAdapter<FlagState> flag(FlagStore store, String flag) {
    return new FlagAdapter(store, flag, null);
  }

  /**
   * As {@link #flag(FlagStore, String)}, with {@code settled} asking {@code check} whether its
   * OpenFeature client evaluates the flag as the store's state predicts, now, for every sample
   * user (including users the write moves from the state the step found). Use with
   * {@link StateSteps#awaitingSettled}, as {@link #steps(String)} does.
   */
  public static StateAdapter<FlagState> flag(FlagStore store, String flag, PropagationCheck check) {
    return new FlagAdapter(store, flag, Objects.requireNonNull(check, "check"));
  }

  /**
   * The {@link StateSteps} every step of this class is derived from, for steps of your own:
   * awaiting the propagation check when one is set, otherwise reading back once.
   */
  public StateSteps<FlagState> steps(String flag) {
    return steps(adapter(flag));
  }

  private FlagAdapter adapter(String flag) {
    return new FlagAdapter(store, flag, propagation);
  }

  private StateSteps<FlagState> steps(StateAdapter<FlagState> adapter) {
    StateSteps<FlagState> steps = StateSteps.on(adapter);
    return propagation == null ? steps : steps.awaitingSettled(propagation.timeout(), propagation.pollInterval());
  }

  // ------------------------------------------------------------------ steps

  /**
   * Turns {@code flag} off for everyone in one write (none when it is already off). Idempotent;
   * reconciles by reading the flag; its undo restores the state the flag had when the step started.
   */
  public Step killSwitch(String flag) {
    return steps(flag).restore("kill switch " + flag, FlagState.off(flag))
        .withDescription("turn flag '" + flag + "' off for everyone in " + store.describe());
  }

  /**
   * Shifts users off {@code flag} gradually: sets each percentage in turn (strictly decreasing,
   * e.g. 50, 10, 0), and after each waits for {@code gate} to be UP. Never raises exposure: a
   * percentage at or above the flag's current one (off counts as 0 %) is skipped, with no write,
   * so a retry or resume continues below where the flag is. Fails, leaving the flag at the last
   * percentage reached, when the gate is not UP in time. Reconciles as applied when the flag is
   * at or below the last percentage; its undo restores the state the flag had when the step started.
   */
  public Step shiftDown(String flag, HealthCheck gate, int... percents) {
    requireFlag(flag);
    Objects.requireNonNull(gate, "gate");
    int[] steps = monotone(flag, percents, false);
    List<FlagState> targets = Arrays.stream(steps).mapToObj(p -> FlagState.on(flag, Rollout.percent(p))).toList();
    return steps(new NeverRaise(adapter(flag))).sequence("shift down " + flag, targets)
        .withHealthGate(gate, gateTimeout, gateInterval)
        .toStep()
        .withDescription("shift flag '" + flag + "' down " + join(steps) + " in " + store.describe() + ", gated by '"
            + gate.name() + "'");
  }

  /**
   * Sets {@code flag}'s rollout in one write: a percentage, or variant weights, e.g. sending
   * everyone back to the old variant with {@code Rollout.weights("v1", 100, "v2", 0)}. With a
   * propagation check, waits until the client evaluates the new split, checking users it moves
   * from the state at step start. Idempotent; its undo restores the state the flag had when the
   * step started.
   */
  public Step setRollout(String flag, Rollout rollout) {
    FlagState target = FlagState.on(flag, rollout);
    return steps(flag).restore("set rollout " + flag, target)
        .withDescription("set flag '" + flag + "' to " + rollout.encode() + " in " + store.describe());
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
   * then and journaled), verbatim unless the flag already matches it. Idempotent; its undo
   * restores the state at step start.
   */
  public Step restoreKnownGood(String flag) {
    return steps(flag).restoreKnownGood("restore " + flag)
        .withDescription("restore flag '" + flag + "' to its known-good state in " + store.describe());
  }

  /**
   * Sets {@code target}'s flag to {@code target}, given in the plan: a captured state (restored
   * verbatim), or {@link FlagState#off} / {@link FlagState#on}.
   */
  public Step restore(FlagState target) {
    Objects.requireNonNull(target, "target");
    return steps(target.flag()).restore("restore " + target.flag(), target)
        .withDescription("restore " + target.describe() + " in " + store.describe());
  }

  /** A release change: turn {@code flag} on with {@code rollout}; reverting restores the known-good state exactly. */
  public Change turnOn(String flag, Rollout rollout) {
    Change c = steps(flag).change("turn on " + flag, FlagState.on(flag, rollout));
    return described(c, flag, "turn flag '" + flag + "' on at " + rollout.encode() + " in " + store.describe());
  }

  /**
   * A release change: ramp {@code flag} up through {@code percents} (strictly increasing), waiting
   * for {@code gate} to be UP after each; reverting restores the known-good state exactly.
   */
  public Change rampUp(String flag, HealthCheck gate, int... percents) {
    requireFlag(flag);
    Objects.requireNonNull(gate, "gate");
    int[] steps = monotone(flag, percents, true);
    List<FlagState> targets = Arrays.stream(steps).mapToObj(p -> FlagState.on(flag, Rollout.percent(p))).toList();
    Change c = steps(flag).sequence("ramp up " + flag, targets)
        .withHealthGate(gate, gateTimeout, gateInterval)
        .toChange();
    return described(c, flag, "ramp flag '" + flag + "' up " + join(steps) + " in " + store.describe() + ", gated by '"
        + gate.name() + "'");
  }

  private Change described(Change c, String flag, String apply) {
    return c.withApply(c.apply().withDescription(apply))
        .withRevert(c.revert().withDescription("restore flag '" + flag + "' to its known-good state in " + store.describe()));
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

  /**
   * The flag's adapter for a shift down, where a percentage target means "at most this
   * percentage": a flag already at or below it (off counts as 0 %) matches it, so it is not
   * written, and is checked as it is. Captured states (the undo) are set exactly, as ever.
   */
  private static final class NeverRaise implements StateAdapter<FlagState> {
    private final FlagAdapter flag;

    NeverRaise(FlagAdapter flag) {
      this.flag = flag;
    }

    /** The percentage of users a state exposes; weights and custom rules count as above every percentage. */
    private static int exposure(FlagState s) {
      if (!s.enabled()) return 0;
      return s.rollout() instanceof Rollout.Percentage p ? p.percent() : 101;
    }

    private static @Nullable Integer ceiling(FlagState target) {
      return !target.hasDefinition() && target.enabled() && target.rollout() instanceof Rollout.Percentage p ? p.percent() : null;
    }

    @Override public String describe() { return flag.describe(); }
    @Override public FlagState read(StepContext ctx) { return flag.read(ctx); }
    @Override public SnapshotCodec<FlagState> codec() { return flag.codec(); }
    @Override public String describe(FlagState state) { return flag.describe(state); }

    @Override
    public void apply(FlagState target, StepContext ctx) {
      FlagState now = flag.read(ctx);
      if (!matches(target, now)) flag.apply(target, now, ctx.lease());
    }

    @Override
    public boolean matches(FlagState target, FlagState actual) {
      Integer max = ceiling(target);
      return max == null ? flag.matches(target, actual) : target.flag().equals(actual.flag()) && exposure(actual) <= max;
    }

    @Override
    public Settled settled(FlagState target, StepContext ctx) {
      if (ceiling(target) == null) return flag.settled(target, ctx);
      FlagState actual = flag.read(ctx);
      if (!matches(target, actual)) return Settled.notYet(flag.describe() + " reads " + describe(actual));
      if (flag.matches(target, actual)) return flag.settled(target, ctx);
      Settled s = flag.settled(actual, ctx);
      return new Settled(s.state(), "left " + describe(actual) + ", below " + describe(target) + " (a shift down never raises"
          + " exposure): " + s.detail());
    }

    @Override
    public String toString() {
      return "NeverRaise[" + flag + "]";
    }
  }

  @Override
  public String toString() {
    return "FeatureFlags[" + store.describe() + "]";
  }
}
