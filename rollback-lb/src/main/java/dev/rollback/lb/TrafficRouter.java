package dev.rollback.lb;

/**
 * A load balancer this library can read and change the routing of. Implementations:
 * {@link HaproxyRouter}, {@link NginxRouter}; write your own for another load balancer.
 *
 * <p>Contract for {@link #apply}: backend and server names are checked against a strict pattern;
 * weights against the router's range; a target with no serving server is refused unless the
 * cutover allows it; servers that gain traffic are changed before servers that lose it, so the
 * backend never passes through zero capacity; the result is read back and compared; on any failure
 * the previous state is put back where possible and a {@link RouterException} names the router,
 * what it tried and the state kept.
 */
public interface TrafficRouter {

  /** A short name for messages, e.g. {@code haproxy unix:/run/lb/admin.sock}. */
  String name();

  /** The highest weight the router accepts (HAProxy 256). */
  int maxWeight();

  /** The current routing of {@code backend}. */
  RoutingState read(String backend);

  /**
   * Changes the servers named in {@code target} to its weights and admin states, and returns the
   * state read back afterwards. Servers not named in {@code target} are left alone.
   */
  RoutingState apply(RoutingState target, Cutover cutover);
}
