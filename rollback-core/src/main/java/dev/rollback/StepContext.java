package dev.rollback;

import dev.rollback.engine.ManualClock;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * What a running step can see and do. One context per step attempt; everything in it is stable
 * across retries and across a resume after a crash, except {@link #attempt()}.
 */
public interface StepContext {

  /** The run this step belongs to. */
  String runId();

  /** The plan (or release) name. */
  String planName();

  /** The step's path within the plan, e.g. {@code restore/db} or {@code set image/revert}. */
  String stepPath();

  Deployment deployment();

  /**
   * A key that is the same for every attempt of this step in this run, also after a resume:
   * {@code runId + ":" + stepPath}. Use it for PagerDuty {@code dedup_key}, Kubernetes
   * annotations, audit rows.
   */
  String idempotencyKey();

  /** 1 for the first attempt. Attempts after a resume continue the count from the journal. */
  int attempt();

  /** When this attempt times out; {@link Instant#MAX} without a timeout. Blocking calls should honour it. */
  Instant deadline();

  Clock clock();

  /** True once the run was cancelled or this attempt timed out or a sibling failed. */
  boolean isCancelled();

  /** Throws {@link java.util.concurrent.CancellationException} if {@link #isCancelled()}. */
  void checkCancelled();

  /**
   * Waits {@code duration} on the engine's clock: real time, or virtual time under a
   * {@link ManualClock}. Wakes early with a {@link java.util.concurrent.CancellationException}
   * when the step is cancelled. Use it for waits that belong to the plan (between the steps of a
   * gradual shift, between health-gate polls) instead of {@code Thread.sleep}.
   */
  void sleep(java.time.Duration duration) throws InterruptedException;

  /**
   * The known-good state captured for this step when the release started or the guard was armed,
   * read back from the journal.
   */
  Optional<Snapshot> knownGood();

  /** The undo snapshot captured when this step (in its forward direction) started. */
  Optional<Snapshot> undoSnapshot();

  /**
   * Records a durable checkpoint inside a long step (e.g. the index of the last SQL statement
   * executed where DDL is not transactional) so a resume can continue from it.
   */
  void checkpoint(String key, String value);

  /** Checkpoints recorded by earlier attempts of this step, in this run or before a crash. */
  Map<String, String> checkpoints();

  /** Journals a human-readable note with this step, e.g. "flag change visible to clients after 12 ms". */
  void note(String message);

  /**
   * The lease this run acts under, with its fencing token; {@link StepLease#none()} for a run
   * started without one. Call {@link StepLease#check()} right before each write to a system.
   */
  default StepLease lease() {
    return StepLease.none();
  }
}
