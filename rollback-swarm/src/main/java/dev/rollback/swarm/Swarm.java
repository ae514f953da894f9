package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.Change;
import dev.rollback.Reconciliation;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Signal;
import dev.rollback.swarm.internal.Api;
import dev.rollback.swarm.internal.StateSteps.Waiting;
import dev.rollback.swarm.internal.StateSteps;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Plan steps, release changes, health checks and signals for Docker Swarm services and stacks.
 *
 * <pre>{@code
 * DockerSwarm swarm = DockerSwarm.connect(Path.of("/run/docker.sock"));
 * SwarmService web = swarm.service("shop_web");
 * Release.builder("shop 2.4.0")
 *     .change(Swarm.setImage(web, "registry.example/shop/web:2.4.0"))
 *     .healthGate(Swarm.taskHealth(web, TaskHealth.noFailures())).within(Duration.ofMinutes(1))
 *     .build();
 * RollbackPlan.builder("shop back")
 *     .sequential("swarm", s -> s.step(Swarm.restoreStack(swarm.stack("shop").inOrder("db", "api", "web"))))
 *     .build();
 * }</pre>
 *
 * Every step here journals the state it found when it started (its undo snapshot), aims at an
 * absolute target (so it is idempotent), reconciles by reading the service back and looking at its
 * tasks, waits until every task runs the target spec, and fails naming the service, the tasks that
 * did not get there and their errors.
 */
public final class Swarm {
  private Swarm() {}

  private static Waiting waiting(SwarmService s) {
    return new Waiting(s.convergeTimeout(), s.pollInterval());
  }

  private static Waiting waiting(SwarmStack s) {
    // each wave waits up to the converge timeout inside apply; settled is then a last look
    return new Waiting(s.convergeTimeout(), s.pollInterval());
  }

  /**
   * Puts {@code service} back to the spec captured when the release started or the guard was
   * armed: Swarm's own rollback when that spec is the service's previous one (one release since),
   * otherwise an update to it; configs and secrets references included.
   */
  public static Step restoreKnownGood(SwarmService service) {
    Objects.requireNonNull(service, "service");
    return StateSteps.restoreKnownGood("restore service " + service.name(), service.adapter(), waiting(service)).build();
  }

  /** Puts {@code service} to an explicit spec (e.g. one captured earlier with {@link SwarmService#capture()}). */
  public static Step restore(SwarmService service, SwarmServiceState target) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(target, "target");
    return StateSteps.restore("restore service " + service.name(), service.adapter(), target, waiting(service))
        .describedAs("restore " + service.describe() + " to " + target)
        .build();
  }

  /**
   * {@code docker service rollback}: back to the previous spec the service had when this step
   * started (journaled with the undo snapshot, so a retry or a resume aims at the same spec instead
   * of flipping back), rolled out with the service's rollback config, then waits for the tasks.
   */
  public static Step rollbackToPrevious(SwarmService service) {
    Objects.requireNonNull(service, "service");
    SwarmServiceAdapter adapter = service.adapter();
    Waiting waiting = waiting(service);
    return Step.builder("roll back service " + service.name())
        .captureForUndo(ctx -> {
          SwarmServiceAdapter.Observed o = adapter.observe();
          Snapshot s = SwarmServiceAdapter.CODEC.encode(o.state());
          return o.previousSpec() == null ? s : s.with(PREVIOUS, o.previousSpec().toString());
        })
        .execute(ctx -> StateSteps.applyAndSettle(adapter, previous(service, ctx), ctx, waiting))
        .undo(ctx -> StateSteps.applyAndSettle(adapter, SwarmServiceAdapter.CODEC.decode(ctx.undoSnapshot().orElseThrow()),
            ctx, waiting))
        .reconcile(ctx -> {
          SwarmServiceState target = previous(service, ctx);
          return adapter.matches(target, adapter.read(ctx)) && adapter.settled(target, ctx).done()
              ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED;
        })
        .idempotent()
        .describedAs("roll " + service.describe() + " back to its previous spec (docker service rollback)")
        .build();
  }

  private static final String PREVIOUS = "previous";

  private static SwarmServiceState previous(SwarmService service, StepContext ctx) {
    Snapshot s = ctx.undoSnapshot().orElseThrow(() -> new IllegalStateException("step " + ctx.stepPath()
        + " has no undo snapshot of " + service.describe()));
    String prev = s.get(PREVIOUS).orElseThrow(() -> new SwarmRollbackException("cannot roll back " + service.describe()
        + ": it has no previous spec (it was never updated); nothing to go back to"));
    return SwarmServiceState.of(service.name(), prev);
  }

  /**
   * A release change that sets the image of {@code service} (rolled out with its update config,
   * waiting for every task to run it); its revert restores the spec captured at release start.
   */
  public static Change setImage(SwarmService service, String image) {
    Objects.requireNonNull(service, "service");
    DockerSwarm.requireName("image", image);
    // change and step names must not contain '/', which image names do: the image is in the description
    return StateSteps.change("set image of service " + service.name(), "set the image of " + service.describe()
        + " to " + image, service.adapter(), s -> s.withImage(image), waiting(service));
  }

  /**
   * A release change that puts {@code service} to {@code target} (e.g. {@link SwarmService#capture()}
   * edited, or {@link SwarmServiceState#of} from JSON), waiting for every task to run it; its revert
   * restores the spec captured at release start.
   */
  public static Change change(SwarmService service, String description, SwarmServiceState target) {
    Objects.requireNonNull(service, "service");
    DockerSwarm.requireName("description", description);
    Objects.requireNonNull(target, "target");
    return StateSteps.change(description, description + " (" + service.describe() + ")", service.adapter(), s -> target,
        waiting(service));
  }

  /**
   * Restores every service of {@code stack} to the specs captured at release start, wave by wave
   * in the stack's dependency order (all at once without dependencies), and verifies them together;
   * the step's notes and failure list each service.
   */
  public static Step restoreStack(SwarmStack stack) {
    Objects.requireNonNull(stack, "stack");
    return StateSteps.restoreKnownGood("restore stack " + stack.namespace(), stack.adapter(), waiting(stack))
        .describedAs("restore every service of " + stack.describe() + " to the specs captured at release start"
            + (stack.dependencies().isEmpty() ? ", all at once" : ", in dependency order " + stack.dependencies()))
        .build();
  }

  /** Restores every service of {@code stack} to an explicit capture. */
  public static Step restoreStack(SwarmStack stack, SwarmStackState target) {
    Objects.requireNonNull(stack, "stack");
    Objects.requireNonNull(target, "target");
    return StateSteps.restore("restore stack " + stack.namespace(), stack.adapter(), target, waiting(stack)).build();
  }

  // ------------------------------------------------------------------ health

  /**
   * UP when every wanted task runs the service's current spec and no more failed than
   * {@code tolerance} allows; DOWN past it (the detail names the failed tasks and their errors);
   * DEGRADED while tasks are missing or starting; UNKNOWN when the daemon cannot be asked.
   * Usable as {@code verifiedBy}, a health gate, or through {@code Signals.poll} as a trigger.
   */
  public static HealthCheck taskHealth(SwarmService service, TaskHealth tolerance) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(tolerance, "tolerance");
    String name = "tasks of " + service.describe();
    return new HealthCheck() {
      @Override public String name() { return name; }

      @Override public Health check() {
        Instant start = Instant.now();
        try {
          SwarmServiceState current = service.capture();
          JsonNode tasks = service.api().get("/tasks?" + Api.filters(Map.of("service", service.name())));
          Convergence c = Tasks.evaluate(current, tasks);
          long onSpec = 0;
          List<TaskReport> failed = new ArrayList<>();
          for (JsonNode t : tasks) {
            if (!Tasks.runs(t, current.taskTemplate())) continue;
            onSpec++;
            String st = Tasks.state(t);
            if (Tasks.FAILED.contains(st) || st.equals("complete")) failed.add(Tasks.report(t, current.taskTemplate()));
          }
          double ratio = onSpec == 0 ? 0 : (double) failed.size() / onSpec;
          String counts = c.running() + "/" + c.desired() + " tasks running image " + current.image() + ", "
              + failed.size() + " failed";
          HealthStatus status;
          String detail;
          if (failed.size() > tolerance.maxFailedTasks() || ratio > tolerance.maxFailureRatio()) {
            status = HealthStatus.DOWN;
            detail = counts + " (tolerated " + tolerance.maxFailedTasks() + ", ratio " + tolerance.maxFailureRatio()
                + "): " + failed.subList(Math.max(0, failed.size() - 3), failed.size());
          } else if (!c.converged()) {
            status = HealthStatus.DEGRADED;
            detail = c.summary();
          } else {
            status = HealthStatus.UP;
            detail = counts;
          }
          return Health.of(name, status, Duration.between(start, Instant.now()), detail);
        } catch (RuntimeException e) {
          return Health.of(name, HealthStatus.UNKNOWN, Duration.between(start, Instant.now()), e.getMessage());
        }
      }

      @Override public String toString() { return "HealthCheck[" + name + "]"; }
    };
  }

  /**
   * The task starts and failures (failed, rejected, exited) of {@code service} as a signal for
   * triggers, listing the tasks every {@code interval}: {@code Trigger.errorRatio(...)} over it is
   * a failure ratio, {@code Trigger.consecutiveFailures(...)} a crash loop.
   */
  public static Signal taskSignal(SwarmService service, Duration interval) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("interval of the task signal of " + service.describe() + " must be positive: " + interval);
    }
    return new TaskSignal(service, interval);
  }
}
