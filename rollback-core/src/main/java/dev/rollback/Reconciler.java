package dev.rollback;

/**
 * Observes whether a step's action already took effect, so the engine can decide what to do with
 * a step whose outcome is unknown (after a crash or a timed-out attempt) without running it twice.
 */
@FunctionalInterface
public interface Reconciler {
  Reconciliation reconcile(StepContext ctx) throws Exception;
}
