package dev.rollback.engine;

import dev.rollback.GateRequest;
import java.time.Duration;

/** Drives a run on a ManualClock: lets the run reach its next wait, then moves time. Bounded. */
final class VirtualTime {
  private VirtualTime() {}

  static void advanceUntilDone(ManualClock clock, RollbackRun run, Duration step) {
    for (int i = 0; i < 100_000 && !run.result().isDone(); i++) {
      settle(clock);
      clock.advance(step);
    }
  }

  static GateRequest advanceUntilGate(ManualClock clock, RollbackRun run, Duration step) {
    for (int i = 0; i < 100_000; i++) {
      if (!run.pendingGates().isEmpty()) return run.pendingGates().get(0);
      if (run.result().isDone()) throw new AssertionError("run ended " + run.result().join().outcome() + " without a gate");
      settle(clock);
      clock.advance(step);
    }
    throw new AssertionError("no gate opened");
  }

  /** Waits (real time, at most 2 s) until something is scheduled on the clock or the run ended. */
  static void settle(ManualClock clock) {
    long until = System.nanoTime() + 2_000_000_000L;
    while (clock.scheduledCount() == 0 && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
  }
}
