package dev.rollback.guard;

/** Where a {@link Guard} is; report it from the application's own health endpoint. */
public enum GuardState {
  /** Built, not armed yet. */
  CREATED,
  /** Watching its triggers during the bake time. */
  ARMED,
  /** Watching, and a trigger is inconclusive (ASK_HUMAN): a human should look; {@link Guard#rollBackNow} acts. */
  NEEDS_HUMAN,
  /** This replica started the rollback. */
  FIRED,
  /** A rollback of this deployment already ran or runs (another replica, an earlier start of this one): nothing to do. */
  STOOD_DOWN,
  /** The bake time passed without a rollback: the release is kept. */
  BAKED,
  /** Closed before anything fired. */
  CLOSED
}
