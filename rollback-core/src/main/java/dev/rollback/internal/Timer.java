package dev.rollback.internal;

import dev.rollback.engine.ManualClock;
import java.time.Duration;

/** Runs a task after a delay on the engine's time: real time, or a {@code ManualClock}'s virtual time. */
public interface Timer {

  /** A scheduled task; cancel is idempotent. */
  interface Cancellable {
    void cancel();
  }

  Cancellable schedule(Runnable task, Duration delay);

  /** The timer of a {@code ManualClock}: tasks run when the clock is advanced past them. */
  static Timer of(dev.rollback.engine.ManualClock clock) {
    return (task, delay) -> clock.schedule(task, delay)::cancel;
  }
}
