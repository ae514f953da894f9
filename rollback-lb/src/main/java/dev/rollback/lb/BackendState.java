package dev.rollback.lb;

import dev.rollback.StepContext;
import dev.rollback.lb.internal.Names;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import java.util.Objects;

/**
 * The routing of one backend on one router, as a {@link StateAdapter}: what {@link Traffic}'s
 * steps are derived from. A target names the servers it sets; the others keep their routing, so
 * a target is satisfied by a read that has them all ({@link RoutingState#isSatisfiedBy}).
 */
final class BackendState implements StateAdapter<RoutingState> {
  private static final SnapshotCodec<RoutingState> CODEC =
      SnapshotCodec.of(RoutingState::toSnapshot, RoutingState::fromSnapshot);

  private final TrafficRouter router;
  private final String backend;
  private final Cutover cutover;

  BackendState(TrafficRouter router, String backend, Cutover cutover) {
    this.router = Objects.requireNonNull(router, "router");
    this.backend = Names.require("backend", backend);
    this.cutover = Objects.requireNonNull(cutover, "cutover");
  }

  @Override
  public String describe() {
    return "backend " + backend + " on " + router.name();
  }

  @Override
  public RoutingState read(StepContext ctx) {
    return router.read(backend);
  }

  @Override
  public void apply(RoutingState target, StepContext ctx) {
    if (!target.backend().equals(backend)) {
      throw new IllegalArgumentException("a target for backend " + target.backend() + " cannot be applied to " + describe());
    }
    router.apply(target, cutover, ctx.lease());
  }

  @Override
  public SnapshotCodec<RoutingState> codec() {
    return CODEC;
  }

  @Override
  public boolean matches(RoutingState target, RoutingState actual) {
    return target.isSatisfiedBy(actual);
  }

  @Override
  public String toString() {
    return "BackendState[" + describe() + "]";
  }
}
