package dev.rollback.lb;

import dev.rollback.StepLease;

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

  /**
   * {@link #apply(RoutingState, Cutover)} by a replica acting under {@code lease}: the lease is
   * checked immediately before every command or file swap, and a replica that lost it writes
   * nothing more (not even the put-back of a partial change: the replica holding the lease now
   * owns the routing) and throws {@link dev.rollback.LeaseLostException}. The default checks it once,
   * before {@link #apply(RoutingState, Cutover)}; routers that send several commands override it.
   */
  default RoutingState apply(RoutingState target, Cutover cutover, StepLease lease) {
    lease.check();
    return apply(target, cutover);
  }
}
