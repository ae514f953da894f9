package dev.rollback.swarm;

/**
 * What a restore of one service did.
 *
 * @param service the service name
 * @param action what was written
 * @param writes how many service updates were sent
 * @param conflicts how many writes were refused because someone else updated the service in between
 *     (each followed by a fresh read)
 * @param message one sentence for notes and reports
 */
public record RestoreResult(String service, Action action, int writes, int conflicts, String message) {

  /** What a restore wrote. */
  public enum Action {
    /** The service already had the target spec: nothing was written. */
    NOTHING_TO_DO,
    /** The target was the service's previous spec: Swarm's own rollback ({@code docker service rollback}). */
    SWARM_ROLLBACK,
    /** The target spec was written as an update. */
    UPDATED,
    /**
     * The target spec was written with other rollout settings (an override, failure action
     * {@code pause} in place of {@code rollback}, or, to restart a rollout Swarm had paused, a
     * monitor 1 ns longer), then, once the tasks ran it, with its own update config.
     */
    UPDATED_WITH_ROLLOUT
  }
}
