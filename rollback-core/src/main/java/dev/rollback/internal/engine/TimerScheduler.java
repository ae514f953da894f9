package dev.rollback.internal.engine;

import dev.failsafe.spi.Scheduler;
import dev.rollback.internal.Timer;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Lets Failsafe schedule retry attempts on the engine's {@link Timer} and executor, so retry
 * delays follow the engine's clock (a {@code ManualClock} in tests).
 */
final class TimerScheduler implements Scheduler {
  private final Timer timer;
  private final ExecutorService executor;

  TimerScheduler(Timer timer, ExecutorService executor) {
    this.timer = timer;
    this.executor = executor;
  }

  @Override
  public ScheduledFuture<?> schedule(Callable<?> callable, long delay, TimeUnit unit) {
    Task task = new Task(callable);
    if (delay <= 0) {
      task.future = executor.submit(task::call);
    } else {
      task.timer = timer.schedule(() -> {
        if (!task.done.isCancelled()) task.future = executor.submit(task::call);
      }, Duration.ofNanos(unit.toNanos(delay)));
    }
    return task;
  }

  private static final class Task implements ScheduledFuture<Object> {
    final Callable<?> callable;
    final CompletableFuture<Object> done = new CompletableFuture<>();
    volatile Future<?> future;
    volatile Timer.@org.jspecify.annotations.Nullable Cancellable timer;

    Task(Callable<?> callable) {
      this.callable = callable;
    }

    Object call() {
      try {
        Object r = callable.call();
        done.complete(r);
        return r;
      } catch (Throwable t) {
        done.completeExceptionally(t);
        return null;
      }
    }

    @Override public long getDelay(TimeUnit unit) { return 0; }
    @Override public int compareTo(Delayed o) { return 0; }

    @Override
    public boolean cancel(boolean mayInterrupt) {
      Timer.Cancellable t = timer;
      if (t != null) t.cancel();
      Future<?> f = future;
      if (f != null) f.cancel(mayInterrupt);
      return done.cancel(mayInterrupt);
    }

    @Override public boolean isCancelled() { return done.isCancelled(); }
    @Override public boolean isDone() { return done.isDone(); }
    @Override public Object get() throws InterruptedException, ExecutionException { return done.get(); }

    @Override
    public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
      return done.get(timeout, unit);
    }
  }
}
