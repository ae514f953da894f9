package dev.rollback.engine;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RollbackException;
import dev.rollback.RollbackResult;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** A run in progress. Obtained from {@link RollbackEngine#start} or {@link RollbackEngine#resume}. */
public interface RollbackRun {

  String runId();

  String plan();

  Deployment deployment();

  /** Completes when the run ends, with its result; never completes exceptionally. */
  CompletableFuture<RollbackResult> result();

  /** Waits for the run to end. */
  RollbackResult await();

  /** Waits at most {@code timeout} (real time); throws {@link RollbackException} if it is still running. */
  RollbackResult await(Duration timeout);

  /** Stops the run cleanly: current steps are interrupted and recorded, gates closed; the run ends CANCELLED. */
  void cancel(String reason);

  /** The gates this run waits on now. */
  List<GateRequest> pendingGates();

  /**
   * Waits (real time, at most {@code timeout}) until the run waits on a gate, and returns it.
   *
   * @throws RollbackException if the run ends without waiting on a gate, or no gate opens within
   *     {@code timeout} (the message says which); use {@link #pendingGates()} to look without waiting
   */
  GateRequest awaitGate(Duration timeout);

  /** Answers one of this run's gates; journaled with {@code actor}. */
  void answer(String gateId, Decision decision, String actor);
}
