package dev.rollback.test;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * An in-memory system for plans built with {@link dev.rollback.spi.StateSteps}: it holds one
 * state, applies targets the way the {@link StateAdapter} contract asks (a target equal to the
 * state writes nothing), records every write, and fails or settles slowly on demand. Thread-safe.
 *
 * <pre>{@code
 * FakeStateAdapter<String> flag = FakeStateAdapter.ofStrings("flag new-checkout", "off");
 * RollbackPlan plan = RollbackPlan.builder("p")
 *     .step(StateSteps.restore("kill new-checkout", flag, "off")).build();
 * flag.set("on");                              // the release turned it on
 * engine.run(plan, deployment);
 * assertThat(flag.state()).isEqualTo("off");
 * assertThat(flag.writes()).containsExactly("off");
 * }</pre>
 *
 * @param <S> the state type; compared with {@code equals}
 */
public final class FakeStateAdapter<S> implements StateAdapter<S> {
  private final String description;
  private final SnapshotCodec<S> codec;
  private S state;
  private final List<S> writes = new ArrayList<>();
  private int applyCalls;
  private int settledPolls;
  private int settlesAfterPolls;
  private @Nullable String unsettleable;
  private @Nullable RuntimeException readFailure;
  private @Nullable RuntimeException applyFailure;

  private FakeStateAdapter(String description, S initial, SnapshotCodec<S> codec) {
    this.description = Objects.requireNonNull(description, "description");
    this.state = Objects.requireNonNull(initial, "initial");
    this.codec = Objects.requireNonNull(codec, "codec");
  }

  /** A system described as {@code description}, in state {@code initial}, journaled with {@code codec}. */
  public static <S> FakeStateAdapter<S> holding(String description, S initial, SnapshotCodec<S> codec) {
    return new FakeStateAdapter<>(description, initial, codec);
  }

  /** A system whose state is a string, journaled as {@code {"value": state}}. */
  public static FakeStateAdapter<String> ofStrings(String description, String initial) {
    return holding(description, initial, SnapshotCodec.of(s -> Snapshot.of("value", s), s -> s.require("value")));
  }

  // ------------------------------------------------------------------ the test's controls

  /** Changes the state behind the adapter's back (a release, an operator); not counted as a write. */
  public synchronized void set(S state) {
    this.state = Objects.requireNonNull(state, "state");
  }

  public synchronized S state() {
    return state;
  }

  /** Every target that changed the state, in order. */
  public synchronized List<S> writes() {
    return List.copyOf(writes);
  }

  /** How many times {@link #apply} was called, also when it wrote nothing or failed. */
  public synchronized int applyCalls() {
    return applyCalls;
  }

  /** Reads throw {@code failure} until {@link #heal()}. */
  public synchronized void failReads(RuntimeException failure) {
    this.readFailure = Objects.requireNonNull(failure, "failure");
  }

  /** Applies throw {@code failure} (and change nothing) until {@link #heal()}. */
  public synchronized void failApplies(RuntimeException failure) {
    this.applyFailure = Objects.requireNonNull(failure, "failure");
  }

  /** Reads and applies work again. */
  public synchronized void heal() {
    readFailure = null;
    applyFailure = null;
  }

  /** After each write, {@link #settled} answers NOT_YET {@code polls} times before SETTLED. */
  public synchronized void settleAfterPolls(int polls) {
    if (polls < 0) throw new IllegalArgumentException("polls must not be negative: " + polls);
    this.settlesAfterPolls = polls;
  }

  /** {@link #settled} answers FAILED with {@code detail} from now on (a rollout past its deadline). */
  public synchronized void neverSettle(String detail) {
    this.unsettleable = Objects.requireNonNull(detail, "detail");
  }

  // ------------------------------------------------------------------ the adapter

  @Override
  public String describe() {
    return description;
  }

  @Override
  public synchronized S read(StepContext ctx) {
    if (readFailure != null) throw readFailure;
    return state;
  }

  @Override
  public synchronized void apply(S target, StepContext ctx) {
    Objects.requireNonNull(target, "target");
    applyCalls++;
    if (applyFailure != null) throw applyFailure;
    if (target.equals(state)) return;
    ctx.lease().check(); // right before the write, as every adapter does
    state = target;
    writes.add(target);
    settledPolls = 0;
  }

  @Override
  public SnapshotCodec<S> codec() {
    return codec;
  }

  @Override
  public synchronized Settled settled(S target, StepContext ctx) {
    if (unsettleable != null) return Settled.failed(unsettleable);
    if (!matches(target, read(ctx))) return Settled.notYet("holds " + state);
    settledPolls++;
    return settledPolls > settlesAfterPolls ? Settled.yes("holds " + state)
        : Settled.notYet("holds " + state + ", settling (poll " + settledPolls + " of " + (settlesAfterPolls + 1) + ")");
  }

  @Override
  public String toString() {
    return "FakeStateAdapter[" + description + "]";
  }
}
