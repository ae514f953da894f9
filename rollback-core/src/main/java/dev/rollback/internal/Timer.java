package dev.rollback.internal;

import java.time.Duration;

/** Runs a task after a delay on the engine's time: real time, or a {@code ManualClock}'s virtual time. */
public interface Timer {

  /** A scheduled task; cancel is idempotent. */
  interface Cancellable {
    void cancel();
  }

  Cancellable schedule(Runnable task, Duration delay);
}
