package dev.rollback.swarm.internal;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import dev.rollback.swarm.DockerSwarm;
import dev.rollback.swarm.Swarm;
import dev.rollback.swarm.SwarmService;
import java.time.Duration;
import java.util.List;

/**
 * The Swarm steps plan files can name: target {@code swarm} (a Docker daemon's socket); steps
 * {@code swarm.restoreKnownGood}, {@code swarm.rollbackToPrevious}, {@code swarm.restoreStack}, and
 * the release change {@code swarm.setImage}. Registered in {@code META-INF/services}.
 */
public final class SwarmTypes {
  private SwarmTypes() {}

  static final Parameter TARGET = Parameter.required("target", Type.TARGET, "the swarm's manager").withChoices("swarm");
  static final Parameter SERVICE = Parameter.required("service", Type.STRING, "the service, as docker service ls names it");
  static final Parameter CONVERGE = Parameter.optional("convergeTimeout", Type.DURATION,
      "how long to wait for the service's tasks to converge").withDefault("2m");

  static SwarmService service(Arguments args) {
    return args.target("target", DockerSwarm.class).service(args.string("service"))
        .withConvergeTimeout(args.duration("convergeTimeout"));
  }

  static Step bounded(Step s, Arguments args) {
    return s.timeout().isPresent() ? s : s.withTimeout(args.duration("convergeTimeout").plusSeconds(30));
  }

  /** {@code swarm}. */
  public static final class Manager implements TargetType {
    @Override public String name() { return "swarm"; }
    @Override public String summary() { return "a Docker Swarm manager's API on its unix socket"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("socket", Type.PATH, "the daemon's socket, e.g. /var/run/docker.sock"));
    }
    @Override public Object open(Arguments args) { return DockerSwarm.connect(args.path("socket")); }
  }

  /** {@code swarm.restoreKnownGood}. */
  public static final class RestoreKnownGood implements StepType {
    @Override public String name() { return "swarm.restoreKnownGood"; }
    @Override public String summary() { return "restore a service to the spec captured before the deployment (rollback capture)"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, SERVICE, CONVERGE); }
    @Override public Step step(Arguments args) { return bounded(Swarm.restoreKnownGood(service(args)), args); }
  }

  /** {@code swarm.rollbackToPrevious}. */
  public static final class RollbackToPrevious implements StepType {
    @Override public String name() { return "swarm.rollbackToPrevious"; }
    @Override public String summary() { return "roll a service back to its previous spec, as docker service rollback does"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, SERVICE, CONVERGE); }
    @Override public Step step(Arguments args) { return bounded(Swarm.rollbackToPrevious(service(args)), args); }
  }

  /** {@code swarm.restoreStack}. */
  public static final class RestoreStack implements StepType {
    @Override public String name() { return "swarm.restoreStack"; }
    @Override public String summary() { return "restore every service of a stack to the specs captured before the deployment (rollback capture)"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, Parameter.required("stack", Type.STRING, "the stack's namespace"), CONVERGE);
    }
    @Override public Step step(Arguments args) {
      return bounded(Swarm.restoreStack(args.target("target", DockerSwarm.class).stack(args.string("stack"))
          .withConvergeTimeout(args.duration("convergeTimeout"))), args);
    }
  }

  /** {@code swarm.setImage}. */
  public static final class SetImage implements StepType {
    @Override public String name() { return "swarm.setImage"; }
    @Override public String summary() { return "set a service's image; as a change, reverted to the spec captured before the release"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, SERVICE, Parameter.required("image", Type.STRING, "the image"), CONVERGE);
    }
    @Override public Step step(Arguments args) { return bounded(change(args).apply().withName("set image"), args); }
    @Override public boolean hasChange() { return true; }
    @Override public Change change(Arguments args) {
      Change c = Swarm.setImage(service(args), args.string("image"));
      return c.withApply(bounded(c.apply(), args)).withRevert(bounded(c.revert(), args));
    }
  }

}
