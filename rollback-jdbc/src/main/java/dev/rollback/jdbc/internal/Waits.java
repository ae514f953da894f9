package dev.rollback.jdbc.internal;

import dev.rollback.engine.ManualClock;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * Pauses between retries without {@code Thread.sleep}: the wait is a future completed by a timer,
 * so it is interruptible, bounded by {@code delay}, and, when the runner was given a clock that
 * schedules (the core's {@code ManualClock}), it passes on that clock's virtual time like every
 * other wait of the engine.
 */
final class Waits {
  private Waits() {}

  /** Waits {@code delay} on {@code clock}'s time: virtual time if it schedules tasks, real time otherwise. */
  static void pause(Clock clock, Duration delay) throws InterruptedException {
    if (clock instanceof ManualClock manual) {
      CompletableFuture<Void> wake = new CompletableFuture<>();
      ManualClock.Scheduled task = manual.schedule(() -> wake.complete(null), delay);
      try {
        await(wake);
      } finally {
        task.cancel();
      }
    } else {
      pause(delay);
    }
  }

  /** Waits {@code delay} of real time. */
  static void pause(Duration delay) throws InterruptedException {
    if (delay.isNegative() || delay.isZero()) return;
    await(CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(delay.toNanos(), TimeUnit.NANOSECONDS)));
  }

  private static void await(CompletableFuture<Void> wake) throws InterruptedException {
    try {
      wake.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("a retry pause failed", e.getCause());
    }
  }
}
