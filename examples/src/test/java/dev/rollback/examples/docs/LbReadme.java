package dev.rollback.examples.docs;

import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.Trigger;
import dev.rollback.lb.AdminState;
import dev.rollback.lb.Cutover;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.NginxRouter;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import dev.rollback.lb.Traffic;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/** What the examples of rollback-lb/README.md take as given. */
abstract class LbReadme {
  HaproxyRouter haproxy;
  NginxRouter nginx;
  URI healthUri;                      // the service's health endpoint, through the load balancer
}
