package dev.rollback.k8s;

import dev.rollback.StepContext;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The pause between two reads of the API server while a rollout settles. Inside a step it waits
 * on the engine's clock ({@link StepContext#sleep}: virtual time under a {@code ManualClock}, woken
 * at once by a cancel); outside one ({@code awaitRollout} without permission to watch) it parks the caller. Every
 * loop that uses it is bounded by a deadline taken from the same clock ({@link #now}).
 */
final class Poll {
  private Poll() {}

  /**
   * Reads the rollout status every {@code interval} until it completes or fails, or until
   * {@code timeout} (or the step's deadline, if sooner) passes; then returns the last status.
   * Stops early when {@code ctx} is cancelled.
   */
  static RolloutStatus rollout(Supplier<RolloutStatus> status, Duration timeout, Duration interval, @Nullable StepContext ctx,
      String waitingFor) {
    Instant end = now(ctx).plus(timeout);
    if (ctx != null && ctx.deadline().isBefore(end)) end = ctx.deadline();
    while (true) {
      RolloutStatus s = status.get();
      if (s.isComplete() || s.isFailed() || !now(ctx).isBefore(end)) return s;
      if (ctx != null) ctx.checkCancelled();
      pause(ctx, interval, waitingFor);
    }
  }

  static Instant now(@Nullable StepContext ctx) {
    return ctx == null ? Instant.now() : ctx.clock().instant();
  }

  static void pause(@Nullable StepContext ctx, Duration interval, String waitingFor) {
    if (ctx != null) {
      try {
        ctx.sleep(interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted while waiting for " + waitingFor);
      }
      return;
    }
    LockSupport.parkNanos(interval.toNanos());
    if (Thread.interrupted()) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for " + waitingFor);
    }
  }
}
