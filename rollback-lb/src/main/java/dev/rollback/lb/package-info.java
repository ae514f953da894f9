/**
 * Traffic rollback on load balancers: a {@link dev.rollback.lb.TrafficRouter} SPI with routers for
 * HAProxy (runtime API over a unix socket or loopback TCP) and NGINX open source (upstream file
 * rewrite, {@code nginx -t}, {@code nginx -s reload}, checked), and {@link dev.rollback.lb.Traffic},
 * which turns them into plan steps: restore the known-good routing, blue/green flip, set weights,
 * gradual shift back with a health gate between steps, and the health checks that verify it. The
 * steps are derived by {@link dev.rollback.spi.StateSteps} from a backend's
 * {@link dev.rollback.spi.StateAdapter} ({@link dev.rollback.lb.Traffic#backend}).
 */
@NullMarked
package dev.rollback.lb;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import org.jspecify.annotations.NullMarked;
