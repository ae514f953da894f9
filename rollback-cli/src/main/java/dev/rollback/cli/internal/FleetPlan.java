package dev.rollback.cli.internal;

import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.cli.Fleet;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.Journal;
import dev.rollback.journal.RunHistory;
import dev.rollback.report.ReportFormat;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * A fleet as one plan for the engine: a stage per wave (parallel when it has several services),
 * a step per service that runs the service's own plan as a child run, {@code <fleet run>.<service>},
 * in the same journal. The fleet run is journaled and resumable like any run; its steps are
 * idempotent: run again after a crash, a step resumes its child run (or finds it already
 * recovered) instead of starting it over.
 */
public final class FleetPlan {
  private FleetPlan() {}

  public static Deployment deployment(Fleet fleet) {
    return Deployment.of(fleet.name(), "fleet");
  }

  public static String childRunId(String fleetRunId, String service) {
    return fleetRunId + "." + service;
  }

  public static RollbackPlan of(Fleet fleet, RollbackEngine engine, Journal journal) {
    RollbackPlan.Builder b = RollbackPlan.builder(fleet.name())
        .withFailurePolicy(fleet.onFailure().equals("CONTINUE") ? FailurePolicy.CONTINUE : FailurePolicy.HALT_AND_ASK);
    fleet.budget().ifPresent(b::withBudget);
    List<List<String>> waves = fleet.waves();
    for (int i = 0; i < waves.size(); i++) {
      List<Step> steps = waves.get(i).stream().map(s -> serviceStep(fleet.service(s), engine, journal)).toList();
      String stage = "wave " + (i + 1);
      if (steps.size() > 1) b.parallel(stage, st -> steps.forEach(st::step));
      else b.sequential(stage, st -> steps.forEach(st::step));
    }
    return b.build();
  }

  private static Step serviceStep(Fleet.Service service, RollbackEngine engine, Journal journal) {
    RollbackPlan plan = service.plan().rollbackPlan();
    Deployment d = service.plan().deployment().orElse(Deployment.of(service.name(), "unspecified"));
    return Step.builder(service.name())
        .execute(ctx -> runChild(ctx, service.name(), plan, d, engine, journal))
        .idempotent()
        .describedAs("roll back service " + service.name() + " with plan " + plan.name() + " (" + plan.steps().size()
            + " steps, worst case " + ReportFormat.duration(plan.worstCase().duration()) + ", fingerprint "
            + plan.fingerprint() + ")")
        .build();
  }

  private static void runChild(StepContext ctx, String service, RollbackPlan plan, Deployment d, RollbackEngine engine,
      Journal journal) throws Exception {
    String childId = childRunId(ctx.runId(), service);
    RunHistory h = RunHistory.of(journal.read(childId));
    RollbackRun run;
    if (h.isCompleted()) {
      RunOutcome o = RunOutcome.valueOf(h.outcome().orElseThrow());
      if (o == RunOutcome.RECOVERED) {
        ctx.note("service " + service + " was already recovered by run " + childId);
        return;
      }
      if (o != RunOutcome.HALTED && o != RunOutcome.CANCELLED) {
        throw new IllegalStateException("service " + service + " ended " + o + " in run " + childId + ": " + h.summary());
      }
      run = engine.resume(childId, plan);
    } else if (h.isStarted()) {
      run = engine.resume(childId, plan);
    } else {
      run = engine.start(plan, d, RunOptions.defaults().withRunId(childId)
          .withReason("fleet " + ctx.planName() + " (run " + ctx.runId() + ") rolls back " + service));
    }
    RollbackResult r;
    try {
      r = run.result().get();
    } catch (InterruptedException e) {
      run.cancel("the fleet run " + ctx.runId() + " stopped this service's rollback");
      run.await(Duration.ofSeconds(30));
      throw e;
    } catch (ExecutionException e) {
      throw new IllegalStateException("service " + service + ": " + e.getCause(), e.getCause());
    }
    if (r.outcome() != RunOutcome.RECOVERED) {
      throw new IllegalStateException("service " + service + " " + r.outcome() + " (run " + childId + "): " + r.summary());
    }
    ctx.note("service " + service + " recovered in " + ReportFormat.duration(r.elapsed()) + " (run " + childId + ")");
  }
}
