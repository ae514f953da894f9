package dev.rollback.spi;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollback.Change;
import dev.rollback.LeaseLostException;
import dev.rollback.Reconciliation;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The plan steps and release changes of a {@link StateAdapter}, written once for every system.
 *
 * <pre>{@code
 * // the static forms
 * Step restore = StateSteps.restoreKnownGood("restore traffic checkout", backend);
 * Change route = StateSteps.change("route to v2", backend, toV2);
 *
 * // with options: wait until the system has settled after every write
 * StateSteps<WorkloadState> steps = StateSteps.on(workload).awaitingSettled(ofMinutes(5), ofSeconds(1));
 * Step undo = steps.restoreKnownGood("undo checkout");
 * Step shift = steps.sequence("shift checkout", List.of(half, tenth, none))
 *     .withHealthGate(probe, ofSeconds(30), ofSeconds(1)).toStep();
 * }</pre>
 *
 * <p>Every derived step:
 * <ul>
 *   <li>journals the state it finds when it starts ({@code captureForUndo}); its undo applies that
 *       state, so abandoning a rollback puts back what the step found;
 *   <li>applies an absolute target, then reads back and checks {@link StateAdapter#matches} (or,
 *       with {@link #awaitingSettled}, polls {@link StateAdapter#settled} on the step's clock until
 *       it settles, fails, or the timeout passes), and notes the state it left;
 *   <li>checks the run's lease ({@link StepContext#lease()}) right before every write, so a replica
 *       that lost it writes nothing; the adapter checks it again before each request of its own;
 *   <li>is idempotent, and reconciles by reading back: APPLIED when the system matches the target
 *       (and has settled, when waiting for that), NOT_APPLIED when it does not, UNKNOWN when it
 *       cannot be read;
 *   <li>fails with a {@link StateStepException} naming the step path and the adapter.
 * </ul>
 * Steps that restore the known-good state also capture it when the release starts or the guard is
 * armed ({@code captureKnownGood}). Immutable; the {@code awaiting*} method returns a copy.
 *
 * @param <S> the adapter's state type
 */
public final class StateSteps<S> {
  private static final Logger log = LoggerFactory.getLogger(StateSteps.class);
  /** The checkpoint a {@link Sequence} writes after each target it reached: how many are done. */
  public static final String SEQUENCE_CHECKPOINT = "state.targets.done";
  /** The checkpoint holding the target {@link #restoreComputed} computed, as the JSON of its snapshot. */
  public static final String TARGET_CHECKPOINT = "state.target";
  private static final TypeReference<LinkedHashMap<String, String>> SNAPSHOT_JSON = new TypeReference<>() {};

  /** Made on first use: only a run reads or writes a journaled target, and a mapper costs a command line's start. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper();
  }

  private final StateAdapter<S> adapter;
  private final @Nullable Duration settleTimeout;
  private final Duration settleEvery;

  private StateSteps(StateAdapter<S> adapter, @Nullable Duration settleTimeout, Duration settleEvery) {
    this.adapter = adapter;
    this.settleTimeout = settleTimeout;
    this.settleEvery = settleEvery;
  }

  /** Steps on {@code adapter}: after a write, read back once and require a match. */
  public static <S> StateSteps<S> on(StateAdapter<S> adapter) {
    return new StateSteps<>(Objects.requireNonNull(adapter, "adapter"), null, Duration.ZERO);
  }

  /**
   * A copy that, after every write (forward, undo, revert, each target of a sequence), polls
   * {@link StateAdapter#settled} every {@code every} on the step's clock until the system has
   * settled; fails naming what did not settle when it answers {@link Settled#failed} or when
   * {@code timeout} passes. Reconcile then also requires a settled system.
   */
  public StateSteps<S> awaitingSettled(Duration timeout, Duration every) {
    return new StateSteps<>(adapter, positive("settle timeout", timeout), positive("settle poll interval", every));
  }

  // ------------------------------------------------------------------ static forms

  /** {@code on(adapter).restoreKnownGood(name)}. */
  public static <S> Step restoreKnownGood(String name, StateAdapter<S> adapter) {
    return on(adapter).restoreKnownGood(name);
  }

  /** {@code on(adapter).restore(name, target)}. */
  public static <S> Step restore(String name, StateAdapter<S> adapter, S target) {
    return on(adapter).restore(name, target);
  }

  /** {@code on(adapter).restoreComputed(name, target)}: the target computed when the step runs. */
  public static <S> Step restoreComputed(String name, StateAdapter<S> adapter, Function<StepContext, S> target) {
    return on(adapter).restoreComputed(name, target);
  }

  /** {@code on(adapter).change(name, target)}. */
  public static <S> Change change(String name, StateAdapter<S> adapter, S target) {
    return on(adapter).change(name, target);
  }

  // ------------------------------------------------------------------ derived steps

  /**
   * Captures the state when the release starts or the guard is armed ({@link StepContext#knownGood()}),
   * and puts it back when it runs.
   */
  public Step restoreKnownGood(String name) {
    return base(name, (ctx, forRun) -> knownGoodTarget(ctx))
        .captureKnownGood(this::capture)
        .describedAs("restore the known-good state of " + adapter.describe())
        .build();
  }

  /** Sets the system to {@code target}, given in the plan. */
  public Step restore(String name, S target) {
    Objects.requireNonNull(target, "target");
    return base(name, (ctx, forRun) -> target)
        .describedAs("set " + adapter.describe() + " to " + adapter.describe(target))
        .build();
  }

  /**
   * Sets the system to a target computed when the step first runs, e.g. from the state it reads
   * ({@code ctx -> current(ctx).withAllTrafficOn("v1")}, "the revision before the current one").
   * The target is journaled as a checkpoint ({@link #TARGET_CHECKPOINT}) the first time it is
   * computed, so a retry, a resume and the reconciler aim at that same target even after the
   * system moved (after the undo, "the previous revision" is another one). Before a target was
   * journaled, the reconciler computes it afresh. The codec must therefore round-trip targets too.
   */
  public Step restoreComputed(String name, Function<StepContext, S> target) {
    Objects.requireNonNull(target, "target");
    return base(name, frozen(target))
        .describedAs("set " + adapter.describe() + " to a target computed when the step runs")
        .build();
  }

  /**
   * A release change: its apply sets {@code target}; its revert puts back the state captured when
   * the release started. Steps are named {@code apply} and {@code revert}.
   */
  public Change change(String name, S target) {
    Objects.requireNonNull(target, "target");
    Step apply = base("apply", (ctx, forRun) -> target)
        .describedAs("set " + adapter.describe() + " to " + adapter.describe(target))
        .build();
    return Change.of(name, apply, revertStep()).capturingKnownGood(this::capture);
  }

  /**
   * A release change whose apply sets a target computed when it first runs, e.g. from the state
   * it reads ({@code ctx -> current(ctx).withImage("app", "app:2.4.0")}); its revert puts back the
   * state captured when the release started. The target is journaled the first time it is computed,
   * as {@link #restoreComputed} does, so a retry, a resume and the reconciler aim at that same target.
   * Steps are named {@code apply} and {@code revert}.
   */
  public Change change(String name, Function<StepContext, S> target) {
    Objects.requireNonNull(target, "target");
    Step apply = base("apply", frozen(target))
        .describedAs("set " + adapter.describe() + " to a target computed when the change is applied")
        .build();
    return Change.of(name, apply, revertStep()).capturingKnownGood(this::capture);
  }

  /**
   * Sets the system to each of {@code targets} in turn (a gradual shift: 50 %, 10 %, 0 %), with
   * an optional pause and health gate after each. Configure the returned {@link Sequence}, then
   * {@link Sequence#toStep()}.
   */
  public Sequence<S> sequence(String name, List<S> targets) {
    return new Sequence<>(this, name, targets, Duration.ZERO, null, Duration.ZERO, Duration.ZERO);
  }

  // ------------------------------------------------------------------ internals

  /** The target of a step: {@code forRun} when the step runs (it may journal it), otherwise for the reconciler. */
  @FunctionalInterface
  private interface Target<S> {
    S of(StepContext ctx, boolean forRun) throws Exception;
  }

  private Target<S> frozen(Function<StepContext, S> compute) {
    return (ctx, forRun) -> {
      String saved = ctx.checkpoints().get(TARGET_CHECKPOINT);
      if (saved != null) {
        Map<String, String> values;
        try {
          values = Json.MAPPER.readValue(saved, SNAPSHOT_JSON);
        } catch (JsonProcessingException e) {
          throw new StateStepException(ctx.stepPath(), adapter.describe(), "checkpoint " + TARGET_CHECKPOINT
              + " is not a journaled target: " + e.getOriginalMessage(), e);
        }
        return decode(Snapshot.of(values), ctx, "the journaled target");
      }
      S t = Objects.requireNonNull(compute.apply(ctx),
          () -> "step '" + ctx.stepPath() + "': the target of " + adapter.describe() + " is null");
      if (forRun) ctx.checkpoint(TARGET_CHECKPOINT, Json.MAPPER.writeValueAsString(adapter.codec().encode(t).values()));
      return t;
    };
  }

  private Step revertStep() {
    return base("revert", (ctx, forRun) -> knownGoodTarget(ctx))
        .describedAs("put " + adapter.describe() + " back to the state captured when the release started")
        .build();
  }

  private Step.Builder base(String name, Target<S> target) {
    return Step.builder(name)
        .captureForUndo(this::capture)
        .execute(ctx -> {
          S t = resolve(target, ctx);
          S now = set(t, ctx, "set it to " + adapter.describe(t));
          ctx.note(adapter.describe() + " now " + adapter.describe(now));
        })
        .undo(ctx -> {
          Snapshot s = ctx.undoSnapshot().orElseThrow(() -> new IllegalStateException("step '" + ctx.stepPath()
              + "' has no undo snapshot of " + adapter.describe() + ": it never started"));
          S before = decode(s, ctx, "the undo snapshot");
          S now = set(before, ctx, "put it back to " + adapter.describe(before) + " (the state the step found)");
          ctx.note(adapter.describe() + " back to " + adapter.describe(now));
        })
        .reconcile(ctx -> reconcile(target, ctx))
        .idempotent();
  }

  private Snapshot capture(StepContext ctx) {
    S s = call(ctx, "could not read it to capture its state", () -> adapter.read(ctx));
    return adapter.codec().encode(s);
  }

  private S knownGoodTarget(StepContext ctx) {
    Snapshot s = ctx.knownGood().orElseThrow(() -> new IllegalStateException("step '" + ctx.stepPath()
        + "' has no known-good state of " + adapter.describe() + ": capture it when the release starts or the"
        + " guard is armed (RollbackEngine.captureKnownGood, or a Release runs its captures itself), or give an"
        + " explicit target"));
    return decode(s, ctx, "the journaled known-good state");
  }

  private S decode(Snapshot s, StepContext ctx, String what) {
    try {
      return adapter.codec().decode(s);
    } catch (RuntimeException e) {
      throw new StateStepException(ctx.stepPath(), adapter.describe(), "cannot read " + what + " " + s.values()
          + ": " + text(e), e);
    }
  }

  private S resolve(Target<S> target, StepContext ctx) {
    S t;
    try {
      t = target.of(ctx, true);
    } catch (IllegalStateException | StateStepException e) {
      throw e; // a missing known-good state (or a cancellation) already says what is wrong
    } catch (Exception e) {
      throw new StateStepException(ctx.stepPath(), adapter.describe(), "cannot compute the target: " + text(e), e);
    }
    return Objects.requireNonNull(t, () -> "step '" + ctx.stepPath() + "': the target of " + adapter.describe() + " is null");
  }

  /**
   * Applies {@code target}, then reads back (or waits until settled); returns the state read last.
   * The lease is checked right before the write (a volatile read): a replica that lost it writes nothing.
   */
  private S set(S target, StepContext ctx, String what) throws InterruptedException {
    ctx.checkCancelled();
    ctx.lease().check();
    call(ctx, "could not " + what, () -> {
      adapter.apply(target, ctx);
      return null;
    });
    if (settleTimeout == null) {
      S actual = call(ctx, "could not read it back after the write", () -> adapter.read(ctx));
      if (!adapter.matches(target, actual)) {
        throw new StateStepException(ctx.stepPath(), adapter.describe(), "was set to " + adapter.describe(target)
            + " but reads back " + adapter.describe(actual));
      }
      return actual;
    }
    awaitSettled(target, ctx, settleTimeout);
    return call(ctx, "could not read it back after it settled", () -> adapter.read(ctx));
  }

  private void awaitSettled(S target, StepContext ctx, Duration timeout) throws InterruptedException {
    Instant start = ctx.clock().instant();
    Instant giveUp = start.plus(timeout);
    while (true) {
      Settled s = call(ctx, "could not tell whether it settled on " + adapter.describe(target),
          () -> adapter.settled(target, ctx));
      Instant now = ctx.clock().instant();
      if (s.isSettled()) {
        ctx.note(adapter.describe() + " settled on " + adapter.describe(target) + " after "
            + Duration.between(start, now).toMillis() + " ms: " + s.detail());
        return;
      }
      if (s.isFailed()) {
        throw new StateStepException(ctx.stepPath(), adapter.describe(), "did not settle on " + adapter.describe(target)
            + ": " + s.detail());
      }
      if (!now.isBefore(giveUp)) {
        throw new StateStepException(ctx.stepPath(), adapter.describe(), "did not settle on " + adapter.describe(target)
            + " within " + timeout + "; last seen: " + s.detail());
      }
      log.debug("{}: not settled yet on {}: {}", adapter.describe(), adapter.describe(target), s.detail());
      Duration left = Duration.between(now, giveUp);
      ctx.sleep(left.compareTo(settleEvery) < 0 ? left : settleEvery);
    }
  }

  private Reconciliation reconcile(Target<S> target, StepContext ctx) {
    try {
      S t = target.of(ctx, false);
      S actual = adapter.read(ctx);
      if (!adapter.matches(t, actual)) return Reconciliation.NOT_APPLIED;
      if (settleTimeout != null && !adapter.settled(t, ctx).isSettled()) return Reconciliation.NOT_APPLIED;
      return Reconciliation.APPLIED;
    } catch (CancellationException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while reconciling " + adapter.describe());
    } catch (Exception e) {
      ctx.note("cannot reconcile " + adapter.describe() + ": " + text(e));
      return Reconciliation.UNKNOWN;
    }
  }

  @FunctionalInterface
  private interface Call<T> {
    T run() throws Exception;
  }

  /** Runs an adapter call; its failure becomes a {@link StateStepException} naming the step and the adapter. */
  private <T> T call(StepContext ctx, String what, Call<T> call) {
    try {
      return call.run();
    } catch (CancellationException | StateStepException | LeaseLostException e) {
      throw e;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted: " + what + " (" + adapter.describe() + ")");
    } catch (Exception e) {
      throw new StateStepException(ctx.stepPath(), adapter.describe(), what + ": " + text(e), e);
    }
  }

  private static String text(Throwable e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
  }

  private static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
    return d;
  }

  @Override
  public String toString() {
    return "StateSteps[" + adapter.describe() + (settleTimeout == null ? "" : ", awaiting settled within " + settleTimeout) + "]";
  }

  // ------------------------------------------------------------------ sequence

  /**
   * A step that sets its system to several targets in turn, holding {@link #withPause a pause}
   * and passing {@link #withHealthGate a health gate} after each. Each target reached is
   * checkpointed ({@link StateSteps#SEQUENCE_CHECKPOINT}), so a retry or a resumed run continues
   * after the last one done; a gate that is not UP in time fails the step there, leaving the
   * system at that target. Reconciles on the last target; its undo puts back the state the step
   * found. {@link #toChange()} makes it the apply of a release change instead. Immutable; the
   * {@code with*} methods return copies.
   *
   * @param <S> the adapter's state type
   */
  public static final class Sequence<S> {
    private final StateSteps<S> steps;
    private final String name;
    private final List<S> targets;
    private final Duration pause;
    private final @Nullable HealthCheck gate;
    private final Duration gateWithin;
    private final Duration gateEvery;

    private Sequence(StateSteps<S> steps, String name, List<S> targets, Duration pause, @Nullable HealthCheck gate,
        Duration gateWithin, Duration gateEvery) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(targets, "targets");
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("sequence '" + name + "' of " + steps.adapter.describe() + " needs at least one target");
      }
      this.steps = steps;
      this.name = name;
      this.targets = List.copyOf(targets);
      this.pause = pause;
      this.gate = gate;
      this.gateWithin = gateWithin;
      this.gateEvery = gateEvery;
    }

    /** How long each target holds before its health gate is checked; none by default. */
    public Sequence<S> withPause(Duration pause) {
      Objects.requireNonNull(pause, "pause");
      if (pause.isNegative()) throw new IllegalArgumentException("pause must not be negative: " + pause);
      return new Sequence<>(steps, name, targets, pause, gate, gateWithin, gateEvery);
    }

    /** After each target, {@code check} must be UP within {@code within} (polled every {@code every}) or the step fails there. */
    public Sequence<S> withHealthGate(HealthCheck check, Duration within, Duration every) {
      Objects.requireNonNull(check, "check");
      return new Sequence<>(steps, name, targets, pause, check, positive("health gate time", within),
          positive("health gate poll interval", every));
    }

    public List<S> targets() {
      return targets;
    }

    public Step toStep() {
      S last = targets.get(targets.size() - 1);
      StateAdapter<S> a = steps.adapter;
      String sentence = "set " + a.describe() + " to " + targets.stream().map(a::describe).collect(Collectors.joining(" → "))
          + (pause.isZero() ? "" : ", holding " + pause + " after each")
          + (gate == null ? "" : ", gated by '" + gate.name() + "'");
      return steps.base(name, (ctx, forRun) -> last)
          .execute(this::run)
          .describedAs(sentence)
          .build();
    }

    /**
     * A release change whose apply is this sequence (a ramp-up: 10 %, 50 %, 100 %) and whose
     * revert puts back the state captured when the release started. Steps are named {@code apply}
     * and {@code revert}; the change is named as this sequence.
     */
    public Change toChange() {
      Step apply = toStep();
      return Change.of(name, apply.withName("apply"), steps.revertStep()).capturingKnownGood(steps::capture);
    }

    private void run(StepContext ctx) throws InterruptedException {
      StateAdapter<S> a = steps.adapter;
      int done = doneBefore(ctx);
      for (int i = done; i < targets.size(); i++) {
        ctx.checkCancelled();
        S t = targets.get(i);
        String which = "target " + (i + 1) + " of " + targets.size();
        S now = steps.set(t, ctx, "set it to " + a.describe(t) + " (" + which + ")");
        if (!pause.isZero()) ctx.sleep(pause);
        String gateSeen = gate == null ? "" : "; " + passGate(ctx, t, which);
        ctx.note(a.describe() + " now " + a.describe(now) + " (" + which + ")" + gateSeen);
        ctx.checkpoint(SEQUENCE_CHECKPOINT, Integer.toString(i + 1));
      }
    }

    private int doneBefore(StepContext ctx) {
      String v = ctx.checkpoints().get(SEQUENCE_CHECKPOINT);
      if (v == null) return 0;
      try {
        int n = Integer.parseInt(v);
        if (n >= 0 && n <= targets.size()) return n;
      } catch (NumberFormatException e) {
        // fall through: a checkpoint this sequence did not write
      }
      throw new StateStepException(ctx.stepPath(), steps.adapter.describe(), "checkpoint " + SEQUENCE_CHECKPOINT + "="
          + v + " is not a count of 0.." + targets.size() + " targets: the plan changed since it was written");
    }

    private String passGate(StepContext ctx, S target, String which) throws InterruptedException {
      HealthCheck g = Objects.requireNonNull(gate);
      Instant giveUp = ctx.clock().instant().plus(gateWithin);
      while (true) {
        ctx.checkCancelled();
        Health h = g.check();
        if (h.isUp()) return "health gate '" + g.name() + "' UP: " + h.detail();
        Instant now = ctx.clock().instant();
        if (!now.isBefore(giveUp)) {
          throw new StateStepException(ctx.stepPath(), steps.adapter.describe(), "health gate '" + g.name()
              + "' was not UP within " + gateWithin + " after setting it to " + steps.adapter.describe(target)
              + " (" + which + "); last result: " + h + "; the sequence stopped there");
        }
        Duration left = Duration.between(now, giveUp);
        ctx.sleep(left.compareTo(gateEvery) < 0 ? left : gateEvery);
      }
    }

    @Override
    public String toString() {
      return "StateSteps.Sequence[" + name + " on " + steps.adapter.describe() + ", " + targets.size() + " targets]";
    }
  }
}
