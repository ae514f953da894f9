package dev.rollback;

/**
 * Captures the state a step acts on: the known-good target when a release starts or a guard is
 * armed, and the step's own undo snapshot when the step starts. Both are journaled.
 */
@FunctionalInterface
public interface SnapshotCapture {
  Snapshot capture(StepContext ctx) throws Exception;
}
