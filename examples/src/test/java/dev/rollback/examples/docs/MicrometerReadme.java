package dev.rollback.examples.docs;

import static java.time.Duration.ofMillis;
import static java.time.Duration.ofSeconds;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.detect.Signal;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.guard.Guard;
import dev.rollback.micrometer.MicrometerSignals;
import dev.rollback.micrometer.RecordingMeterRegistry;
import dev.rollback.micrometer.RollbackMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Metrics;

/** What the examples of rollback-micrometer/README.md take as given. */
abstract class MicrometerReadme {
  MeterRegistry registry;             // the registry the application records into
  RollbackPlan plan;
}
