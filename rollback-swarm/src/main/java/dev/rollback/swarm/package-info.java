/**
 * Docker Swarm rollback on docker-java's unix-socket transport: a service back to the spec
 * captured at release start, to its previous spec ({@code docker service rollback} parity) or to
 * a chosen image, whole stacks restored together, configs and secrets references put back, and
 * task-state health checks and signals. Start at {@link dev.rollback.swarm.Swarm}. A service and a
 * stack are each a step-SPI {@link dev.rollback.spi.StateAdapter}
 * ({@link dev.rollback.swarm.SwarmService#adapter()}, {@link dev.rollback.swarm.SwarmStack#adapter()})
 * from which core's {@link dev.rollback.spi.StateSteps} derives every step.
 */
@NullMarked
package dev.rollback.swarm;

import org.jspecify.annotations.NullMarked;
