package dev.rollback.cli.internal;

import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.cli.StepInfo;
import dev.rollback.cli.TriggerInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** A loaded document: what {@code PlanFile} and {@code Fleet} show, and the expanded document to write back. */
public record Compiled(String kind, String name, String file, Node document, @Nullable RollbackPlan plan,
    @Nullable Release release, @Nullable FleetSpec fleet, @Nullable Deployment deployment, @Nullable Duration budget,
    List<StepInfo> steps, List<TriggerInfo> triggers, Map<String, String> checks, @Nullable Path journalDir,
    List<AutoCloseable> closeables, List<String> notes, Path baseDir) {

  /** A fleet: its services in file order, each with its plan, and the fleet's budget and failure policy. */
  public record FleetSpec(List<Service> services, @Nullable Duration budget, String onFailure) {}

  /** One service of a fleet. */
  public record Service(String name, Compiled plan, List<String> dependsOn, String planRef) {}
}
