package dev.rollback.swarm.internal;

import dev.rollback.Change;
import dev.rollback.Reconciliation;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.spi.Settled;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.function.UnaryOperator;

/**
 * Steps derived from an {@link Adapter}, written once: known-good capture, undo snapshot,
 * apply-then-wait-until-settled, reconcile by read-back, idempotency. Mirrors what the step
 * SPI's {@code StateSteps} does; the Swarm factories build every state step here.
 */
public final class StateSteps {
  private StateSteps() {}

  /** How long an apply waits to be settled, and how often it looks. */
  public record Waiting(Duration timeout, Duration interval) {}

  /** Restores the state captured when the release started or the guard was armed. */
  public static <S> Step.Builder restoreKnownGood(String name, Adapter<S> adapter, Waiting waiting) {
    return Step.builder(name)
        .captureKnownGood(ctx -> adapter.codec().encode(adapter.read(ctx)))
        .captureForUndo(ctx -> adapter.codec().encode(adapter.read(ctx)))
        .execute(ctx -> applyAndSettle(adapter, knownGood(adapter, ctx), ctx, waiting))
        .undo(ctx -> applyAndSettle(adapter, undoTarget(adapter, ctx), ctx, waiting))
        .reconcile(ctx -> reconcile(adapter, knownGood(adapter, ctx), ctx))
        .idempotent()
        .describedAs("restore " + adapter.describe() + " to the state captured at release start");
  }

  /** Restores an explicit target. */
  public static <S> Step.Builder restore(String name, Adapter<S> adapter, S target, Waiting waiting) {
    return Step.builder(name)
        .captureForUndo(ctx -> adapter.codec().encode(adapter.read(ctx)))
        .execute(ctx -> applyAndSettle(adapter, target, ctx, waiting))
        .undo(ctx -> applyAndSettle(adapter, undoTarget(adapter, ctx), ctx, waiting))
        .reconcile(ctx -> reconcile(adapter, target, ctx))
        .idempotent()
        .describedAs("restore " + adapter.describe());
  }

  /**
   * A release change: forward to {@code targetOf(state at release start)}, reverted to the state
   * captured at release start. Both directions are absolute targets, so both are idempotent.
   */
  public static <S> dev.rollback.Change change(String name, String description, Adapter<S> adapter,
      UnaryOperator<S> targetOf, Waiting waiting) {
    Step apply = Step.builder("apply")
        .execute(ctx -> applyAndSettle(adapter, targetOf.apply(knownGood(adapter, ctx)), ctx, waiting))
        .reconcile(ctx -> reconcile(adapter, targetOf.apply(knownGood(adapter, ctx)), ctx))
        .idempotent()
        .describedAs(description)
        .build();
    Step revert = Step.builder("revert")
        .execute(ctx -> applyAndSettle(adapter, knownGood(adapter, ctx), ctx, waiting))
        .reconcile(ctx -> reconcile(adapter, knownGood(adapter, ctx), ctx))
        .idempotent()
        .describedAs("revert: " + description)
        .build();
    return dev.rollback.Change.of(name, apply, revert)
        .capturingKnownGood(ctx -> adapter.codec().encode(adapter.read(ctx)));
  }

  static <S> S knownGood(Adapter<S> adapter, StepContext ctx) {
    Snapshot s = ctx.knownGood().orElseThrow(() -> new IllegalStateException("step " + ctx.stepPath()
        + " has no known-good state of " + adapter.describe()
        + ": capture it when the release starts (RollbackEngine.captureKnownGood) or give an explicit target"));
    return adapter.codec().decode(s);
  }

  static <S> S undoTarget(Adapter<S> adapter, StepContext ctx) {
    Snapshot s = ctx.undoSnapshot().orElseThrow(() -> new IllegalStateException("step " + ctx.stepPath()
        + " has no undo snapshot of " + adapter.describe()));
    return adapter.codec().decode(s);
  }

  static <S> Reconciliation reconcile(Adapter<S> adapter, S target, StepContext ctx) throws Exception {
    if (!adapter.matches(target, adapter.read(ctx))) return Reconciliation.NOT_APPLIED;
    return adapter.settled(target, ctx).done() ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED;
  }

  /** Applies {@code target}, then waits until the adapter says it settled (bounded by the step's deadline). */
  public static <S> void applyAndSettle(Adapter<S> adapter, S target, StepContext ctx, Waiting waiting) throws Exception {
    try {
      adapter.apply(target, ctx);
      awaitSettled(adapter, target, ctx, waiting);
    } catch (CancellationException e) {
      throw e;
    } catch (RuntimeException e) {
      // every failure names what the step works on: the user reads it during an incident
      String m = String.valueOf(e.getMessage());
      if (m.contains(adapter.describe())) throw e;
      throw new dev.rollback.swarm.SwarmRollbackException(adapter.describe() + ": " + m, e);
    }
  }

  public static <S> Adapter.Settled awaitSettled(Adapter<S> adapter, S target, StepContext ctx, Waiting waiting)
      throws Exception {
    Instant end = ctx.clock().instant().plus(waiting.timeout());
    if (ctx.deadline().isBefore(end)) end = ctx.deadline();
    while (true) {
      Adapter.Settled s = adapter.settled(target, ctx);
      if (s.done()) {
        ctx.note(s.detail());
        return s;
      }
      if (!ctx.clock().instant().isBefore(end)) {
        throw new dev.rollback.swarm.SwarmRollbackException(adapter.describe() + " did not settle within "
            + waiting.timeout() + ": " + s.detail());
      }
      ctx.checkCancelled();
      try {
        ctx.sleep(waiting.interval());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted while waiting for " + adapter.describe() + " to settle");
      }
    }
  }
}
