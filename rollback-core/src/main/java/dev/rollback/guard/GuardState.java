package dev.rollback.guard;

/**
 * Where a {@link Guard} is; report it from the application's own health endpoint. The ordinal is
 * published as a metric (rollback-micrometer's {@code rollback.guard.state}), so states are only
 * ever added at the end.
 */
public enum GuardState {
  /** Built, not armed yet. */
  CREATED,
  /** Watching its triggers during the bake time. */
  ARMED,
  /** Watching, and a trigger is inconclusive (ASK_HUMAN): a human should look; {@link Guard#rollBackNow} acts. */
  NEEDS_HUMAN,
  /** This replica started the rollback, and it is running (its steps, or the soak after them). */
  FIRED,
  /** A rollback of this deployment already ran or runs (another replica, an earlier start of this one): nothing to do. */
  STOOD_DOWN,
  /** The bake time passed without a rollback: the release is kept. */
  BAKED,
  /** Closed before anything fired. */
  CLOSED,
  /**
   * Another replica holds the lease and acts on this deployment (or took this replica's rollback
   * over after its lease was lost): this guard watches the journal, stands down once that rollback
   * ended, and takes the run over if that replica stops before finishing it.
   */
  DEFERRED,
  /** This replica's rollback ended RECOVERED; {@link Guard.Status#outcome()} and the detail say how (verified or not). */
  ROLLED_BACK,
  /**
   * This replica's rollback ended without recovering: NOT_RECOVERED, HALTED (waiting for a human
   * at a gate), ABANDONED or CANCELLED; the detail says why. A human takes it from here.
   */
  ROLLBACK_FAILED
}
