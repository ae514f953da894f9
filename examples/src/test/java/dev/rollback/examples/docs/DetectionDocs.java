package dev.rollback.examples.docs;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.Step;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Signals;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.guard.Lease;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** What the examples of docs/detection.md take as given: the application's engine, lease, flag and handler. */
abstract class DetectionDocs {
  RollbackEngine engine;
  Lease jdbcLease;
  AtomicBoolean newCheckout;
  Object order;
  Map<String, Object> healthEndpoint;

  int checkout(Object order) {
    return 200;
  }
}
