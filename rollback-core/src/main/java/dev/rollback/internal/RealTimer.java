package dev.rollback.internal;

import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/** A {@link Timer} on a {@link ScheduledExecutorService}. */
public final class RealTimer implements Timer {
  private final ScheduledExecutorService scheduler;

  public RealTimer(ScheduledExecutorService scheduler) {
    this.scheduler = scheduler;
  }

  @Override
  public Cancellable schedule(Runnable task, Duration delay) {
    long nanos = delay.isNegative() ? 0 : saturatedNanos(delay);
    ScheduledFuture<?> f = scheduler.schedule(task, nanos, TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  static long saturatedNanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return Long.MAX_VALUE / 2;
    }
  }
}
