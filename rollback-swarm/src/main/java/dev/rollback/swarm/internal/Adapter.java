package dev.rollback.swarm.internal;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;

/**
 * The shape of the step SPI's {@code StateAdapter} (read, apply an absolute target, snapshot codec,
 * reconcile by read-back, settled?), kept here until that SPI is in core: the Swarm adapters
 * implement it and {@link StateSteps} builds the steps from it the way the SPI's
 * {@code StateSteps} will, so moving onto the SPI replaces these three types and nothing else.
 */
public interface Adapter<S> {
  String describe();

  S read(StepContext ctx) throws Exception;

  /** Puts {@code target} in place (absolute, idempotent). */
  void apply(S target, StepContext ctx) throws Exception;

  Codec<S> codec();

  default boolean matches(S target, S actual) {
    return target.equals(actual);
  }

  /** Whether the system has converged on {@code target}; may throw when it never will (a paused rollout). */
  Settled settled(S target, StepContext ctx) throws Exception;

  /** State to and from a journaled {@link Snapshot}. */
  interface Codec<S> {
    Snapshot encode(S state);

    S decode(Snapshot snapshot);
  }

  /** Converged or not, and what was seen, in words. */
  record Settled(boolean done, String detail) {}
}
