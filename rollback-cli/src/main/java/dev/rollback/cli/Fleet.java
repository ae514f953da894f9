package dev.rollback.cli;

import dev.rollback.WorstCase;
import dev.rollback.cli.internal.Compiled;
import dev.rollback.cli.internal.FleetOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Services rolled back together: each with its plan and the services it depends on. A fleet rolls
 * back in reverse dependency order — a service before the services it depends on — in
 * {@link #waves()} of services that do not depend on each other, which run in parallel.
 */
public final class Fleet {
  private final String name;
  private final List<Service> services;
  private final List<List<String>> waves;
  private final Compiled.FleetSpec spec;

  /** One service: its name, its plan, and the services it depends on (they roll back after it). */
  public record Service(String name, PlanFile plan, List<String> dependsOn) {
    public Service {
      dependsOn = List.copyOf(dependsOn);
    }
  }

  Fleet(String name, Compiled.FleetSpec spec) {
    this.name = name;
    this.spec = spec;
    List<Service> s = new ArrayList<>();
    for (Compiled.Service c : spec.services()) s.add(new Service(c.name(), new PlanFile(c.plan()), c.dependsOn()));
    this.services = List.copyOf(s);
    this.waves = FleetOrder.waves(spec.services()).stream().map(List::copyOf).toList();
  }

  public String name() { return name; }

  /** In file order. */
  public List<Service> services() { return services; }

  public Service service(String name) {
    return services.stream().filter(s -> s.name().equals(name)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("fleet " + this.name + " has no service '" + name + "'"));
  }

  /** The order of the rollback: wave by wave; the services of one wave roll back in parallel. */
  public List<List<String>> waves() { return waves; }

  public Optional<Duration> budget() { return Optional.ofNullable(spec.budget()); }

  /** What a service's failure does: HALT_AND_ASK (default) or CONTINUE. */
  public String onFailure() { return spec.onFailure(); }

  /** The longest the rollback can take: per wave its slowest service's plan, waves one after another. */
  public WorstCase worstCase() {
    Duration total = Duration.ZERO;
    List<String> unbounded = new ArrayList<>();
    for (List<String> wave : waves) {
      Duration slowest = Duration.ZERO;
      for (String s : wave) {
        WorstCase w = service(s).plan().rollbackPlan().worstCase();
        if (w.duration().compareTo(slowest) > 0) slowest = w.duration();
        w.unbounded().forEach(u -> unbounded.add(s + ": " + u));
      }
      total = total.plus(slowest);
    }
    return new WorstCase(total, unbounded);
  }

  @Override
  public String toString() {
    return "Fleet[" + name + ", waves " + waves + "]";
  }
}
