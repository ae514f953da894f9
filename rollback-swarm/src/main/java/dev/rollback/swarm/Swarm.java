package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Signal;
import dev.rollback.spi.StateSteps;
import dev.rollback.swarm.internal.Api;
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
 * Every step and change here is derived by the step SPI ({@link StateSteps}) from the service's or
 * the stack's {@link dev.rollback.spi.StateAdapter} ({@link SwarmService#adapter()},
 * {@link SwarmStack#adapter()}), waiting until settled with the handle's converge timeout and poll
 * interval: it journals the state it found when it started (its undo snapshot), aims at an
 * absolute target (so it is idempotent), reconciles by reading the service back and looking at its
 * tasks, waits until every task runs the target spec, and fails with a
 * {@link dev.rollback.spi.StateStepException} naming the step, the service, the tasks that did not
 * get there and their errors.
 */
public final class Swarm {
  private Swarm() {}

  private static StateSteps<SwarmServiceState> steps(SwarmService s) {
    return StateSteps.on(s.adapter()).awaitingSettled(s.convergeTimeout(), s.pollInterval());
  }

  private static StateSteps<SwarmStackState> steps(SwarmStack s) {
    // each wave waits up to the converge timeout inside apply; settled is then a last look
    return StateSteps.on(s.adapter()).awaitingSettled(s.convergeTimeout(), s.pollInterval());
  }

  /**
   * Puts {@code service} back to the spec captured when the release started or the guard was
   * armed: Swarm's own rollback when that spec is the service's previous one (one release since),
   * otherwise an update to it; configs and secrets references included.
   */
  public static Step restoreKnownGood(SwarmService service) {
    Objects.requireNonNull(service, "service");
    return steps(service).restoreKnownGood("restore service " + service.name())
        .withDescription("put " + service.describe() + " back to the spec captured at release start");
  }

  /** Puts {@code service} to an explicit spec (e.g. one captured earlier with {@link SwarmService#capture()}). */
  public static Step restore(SwarmService service, SwarmServiceState target) {
    Objects.requireNonNull(service, "service");
    Objects.requireNonNull(target, "target");
    return steps(service).restore("restore service " + service.name(), target);
  }

  /**
   * {@code docker service rollback}: back to the previous spec the service has when this step first
   * runs, rolled out with the service's rollback config, then waits for the tasks. That spec is
   * journaled before the write ({@link StateSteps#restoreComputed}), so a retry or a resume aims at
   * the same spec instead of flipping back to the release (after the rollback, the previous spec
   * is the release's). Fails naming the service when it was never updated.
   */
  public static Step rollbackToPrevious(SwarmService service) {
    Objects.requireNonNull(service, "service");
    SwarmServiceAdapter adapter = service.impl();
    return steps(service).restoreComputed("roll back service " + service.name(), ctx -> adapter.previous())
        .withDescription("roll " + service.describe() + " back to its previous spec (docker service rollback)");
  }

  /**
   * Puts {@code image} back on {@code service}, everything else of its spec as the step finds it:
   * a rollback to a chosen image (the one before the release, a known-good tag). The target is
   * journaled when the step first runs, so a retry or a resume aims at the same spec.
   */
  public static Step restoreImage(SwarmService service, String image) {
    Objects.requireNonNull(service, "service");
    DockerSwarm.requireName("image", image);
    SwarmServiceAdapter adapter = service.impl();
    // step names must not contain '/', which image names do: the image is in the description
    return steps(service).restoreComputed("restore image of service " + service.name(),
            ctx -> adapter.read(ctx).withImage(image))
        .withDescription("roll " + service.describe() + " back to image " + image);
  }

  /**
   * A release change that sets the image of {@code service} (rolled out with its update config,
   * waiting for every task to run it); its revert restores the spec captured at release start.
   */
  public static Change setImage(SwarmService service, String image) {
    Objects.requireNonNull(service, "service");
    DockerSwarm.requireName("image", image);
    SwarmServiceAdapter adapter = service.impl();
    // change and step names must not contain '/', which image names do: the image is in the description
    Change c = steps(service).change("set image of service " + service.name(), ctx -> adapter.read(ctx).withImage(image));
    return described(c, "set the image of " + service.describe() + " to " + image, service.describe());
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
    return described(steps(service).change(description, target), description + " (" + service.describe() + ")",
        service.describe());
  }

  private static Change described(Change c, String sentence, String what) {
    return c.withApply(c.apply().withDescription(sentence))
        .withRevert(c.revert().withDescription("revert " + sentence + ": put " + what
            + " back to the spec captured at release start"));
  }

  /**
   * Restores every service of {@code stack} to the specs captured at release start, wave by wave
   * in the stack's dependency order (all at once without dependencies), and verifies them together;
   * the step's notes and failure list each service.
   */
  public static Step restoreStack(SwarmStack stack) {
    Objects.requireNonNull(stack, "stack");
    return steps(stack).restoreKnownGood("restore stack " + stack.namespace())
        .withDescription("restore every service of " + stack.describe() + " to the specs captured at release start"
            + (stack.dependencies().isEmpty() ? ", all at once" : ", in dependency order " + stack.dependencies()));
  }

  /** Restores every service of {@code stack} to an explicit capture. */
  public static Step restoreStack(SwarmStack stack, SwarmStackState target) {
    Objects.requireNonNull(stack, "stack");
    Objects.requireNonNull(target, "target");
    return steps(stack).restore("restore stack " + stack.namespace(), target);
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
