package dev.rollback.lb;

/**
 * How a router takes traffic away from servers: {@link #drain()} lets in-flight requests finish
 * (HAProxy {@code state drain}, NGINX graceful reload), {@link #hardCut()} also ends open sessions
 * (HAProxy {@code state maint} + {@code shutdown sessions server}). Applying a state that leaves a
 * backend with no serving server is refused unless {@link #allowingZeroCapacity()} is set.
 */
public record Cutover(boolean hard, boolean zeroCapacityAllowed) {

  /** Stop sending new requests; in-flight requests and open sessions finish. The default. */
  public static Cutover drain() {
    return new Cutover(false, false);
  }

  /** Stop sending new requests and end the sessions still open on the servers taken out. */
  public static Cutover hardCut() {
    return new Cutover(true, false);
  }

  /** The same cutover, but a target with no serving server is applied instead of refused. */
  public Cutover allowingZeroCapacity() {
    return new Cutover(hard, true);
  }
}
