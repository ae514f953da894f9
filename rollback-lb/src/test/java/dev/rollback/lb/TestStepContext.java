package dev.rollback.lb;

import dev.rollback.Deployment;
import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/** A step context for calling a step's execute, undo and reconcile directly, with the snapshots a test gives. */
final class TestStepContext implements StepContext {
  private final @Nullable Snapshot knownGood;
  private final @Nullable Snapshot undo;
  final Map<String, String> checkpoints = new LinkedHashMap<>();
  final List<String> notes = new ArrayList<>();

  TestStepContext(@Nullable Snapshot knownGood, @Nullable Snapshot undo) {
    this.knownGood = knownGood;
    this.undo = undo;
  }

  @Override public String runId() { return "test-run"; }
  @Override public String planName() { return "test-plan"; }
  @Override public String stepPath() { return "traffic/step"; }
  @Override public Deployment deployment() { return Deployment.of("checkout", "2.4.0"); }
  @Override public String idempotencyKey() { return "test-run:traffic/step"; }
  @Override public int attempt() { return 1; }
  @Override public Instant deadline() { return Instant.MAX; }
  @Override public Clock clock() { return Clock.systemUTC(); }
  @Override public boolean isCancelled() { return false; }
  @Override public void checkCancelled() {}
  @Override public void sleep(java.time.Duration d) throws InterruptedException {
    java.util.concurrent.TimeUnit.NANOSECONDS.sleep(d.toNanos()); // a test double outside any engine: real time
  }
  @Override public Optional<Snapshot> knownGood() { return Optional.ofNullable(knownGood); }
  @Override public Optional<Snapshot> undoSnapshot() { return Optional.ofNullable(undo); }
  @Override public void checkpoint(String key, String value) { checkpoints.put(key, value); }
  @Override public Map<String, String> checkpoints() { return Map.copyOf(checkpoints); }
  @Override public void note(String message) { notes.add(message); }
}
