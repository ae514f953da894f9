package dev.rollback.flags;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.StepLease;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;

/**
 * One flag in one {@link FlagStore} as a {@link StateAdapter}; made by {@link FeatureFlags#flag}.
 *
 * <ul>
 *   <li>{@link #apply}: nothing when the flag already {@linkplain #matches matches}; otherwise a
 *       captured state ({@link FlagState#hasDefinition()}) is {@linkplain FlagStore#restore
 *       restored verbatim}, the target "off" is the kill switch ({@link FlagStore#disable}) and
 *       "on" is {@link FlagStore#setRollout};
 *   <li>{@link #matches}: both off, or both on with the same split ({@link FeatureFlags#sameSplit});
 *       the native definition is compared only for a custom rule, where it is the split
 *       ({@link FlagStore#sameRule});
 *   <li>{@link #settled}: with a {@link PropagationCheck}, the store matches and the check's client
 *       evaluates the flag as the store's state predicts for every sample user, now (one round of
 *       evaluations, predicted from the state read, which for Unleash weights gives the order its
 *       SDK buckets in). The users the write moves from the state the step found (its undo
 *       snapshot) are among them. Without a check, or for a custom rule, a matching read.
 * </ul>
 */
final class FlagAdapter implements StateAdapter<FlagState> {
  private static final SnapshotCodec<FlagState> CODEC = SnapshotCodec.of(FlagState::toSnapshot, FlagState::fromSnapshot);

  private final FlagStore store;
  private final String flag;
  private final @Nullable PropagationCheck check;
  private final String description;
  /**
   * The probe of the settle loop under way: the loop polls {@link #settled} with the same context
   * and target, so the store is read and the sample worked out once per loop, not per poll.
   */
  private final AtomicReference<@Nullable Probing> probing = new AtomicReference<>();

  private record Probing(StepContext ctx, FlagState target, PropagationCheck.Probe probe) {}

  FlagAdapter(FlagStore store, String flag, @Nullable PropagationCheck check) {
    this.store = Objects.requireNonNull(store, "store");
    Objects.requireNonNull(flag, "flag");
    if (flag.isBlank()) throw new IllegalArgumentException("flag key must not be blank");
    this.flag = flag;
    this.check = check;
    this.description = "flag '" + flag + "' in " + store.describe();
  }

  FlagStore store() {
    return store;
  }

  String flag() {
    return flag;
  }

  @Override
  public String describe() {
    return description;
  }

  @Override
  public FlagState read(StepContext ctx) {
    return store.read(flag);
  }

  @Override
  public void apply(FlagState target, StepContext ctx) {
    apply(target, store.read(flag), ctx.lease());
  }

  /** {@link #apply} given the state just read; the store checks {@code lease} right before it writes. */
  void apply(FlagState target, FlagState now, StepLease lease) {
    requireThisFlag(target);
    if (matches(target, now)) return;
    if (target.hasDefinition()) {
      store.restore(target, lease);
    } else if (!target.enabled()) {
      store.disable(flag, lease);
    } else {
      store.setRollout(flag, target.rollout(), lease);
    }
  }

  @Override
  public SnapshotCodec<FlagState> codec() {
    return CODEC;
  }

  @Override
  public boolean matches(FlagState target, FlagState actual) {
    if (!target.flag().equals(actual.flag()) || target.enabled() != actual.enabled()) return false;
    if (!target.enabled()) return true;
    Rollout want = target.rollout();
    Rollout have = actual.rollout();
    if (want instanceof Rollout.Custom || have instanceof Rollout.Custom) {
      return want == have && target.hasDefinition() && store.sameRule(flag, target.definition(), actual.definition());
    }
    return FeatureFlags.sameSplit(want, have);
  }

  @Override
  public Settled settled(FlagState target, StepContext ctx) {
    Probing p = probing.get();
    if (p == null || p.ctx() != ctx || p.target() != target) {
      FlagState actual = store.read(flag);
      if (!matches(target, actual)) return Settled.notYet(description + " reads " + describe(actual));
      if (check == null) return Settled.yes("reads " + describe(actual));
      if (!check.canCheck(actual)) {
        return Settled.yes("reads " + describe(actual) + "; propagation not checked (custom targeting rule)");
      }
      p = new Probing(ctx, target, check.probe(store, actual, before(ctx)));
      probing.set(p);
    }
    return p.probe().now();
  }

  /** The state the step found when it started (its undo snapshot), when it is this flag's and predictable. */
  private @Nullable FlagState before(StepContext ctx) {
    Snapshot s = ctx.undoSnapshot().orElse(null);
    if (s == null) return null;
    try {
      FlagState before = FlagState.fromSnapshot(s);
      return before.flag().equals(flag) && before.isPredictable() ? before : null;
    } catch (RuntimeException e) {
      return null; // not a flag's snapshot: the check goes without the users the write moves
    }
  }

  @Override
  public String describe(FlagState state) {
    if (!state.enabled()) return "off";
    Rollout r = state.rollout();
    if (r instanceof Rollout.Percentage p) return "on at " + p.percent() + "%";
    if (r instanceof Rollout.Weights w) return "weights " + w.encode();
    return "on (custom targeting rule)";
  }

  private void requireThisFlag(FlagState target) {
    if (!target.flag().equals(flag)) {
      throw new IllegalArgumentException("a state of flag '" + target.flag() + "' cannot be applied to " + description);
    }
  }

  @Override
  public String toString() {
    return "FlagAdapter[" + description + (check == null ? "" : ", " + check) + "]";
  }
}
