/**
 * Docker Swarm rollback on docker-java's unix-socket transport: a service back to the spec
 * captured at release start, to its previous spec ({@code docker service rollback} parity) or to
 * a chosen image, whole stacks restored together, configs and secrets references put back, and
 * task-state health checks and signals. Start at {@link dev.rollback.swarm.Swarm}.
 */
@NullMarked
package dev.rollback.swarm;

import org.jspecify.annotations.NullMarked;
