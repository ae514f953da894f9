package dev.rollback.examples;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The drill's workloads: which versions of the checkout service run, each on the loopback port
 * reserved for it. In a real deployment this is a Kubernetes Deployment or a Swarm service (the
 * {@code rollback-k8s} and {@code rollback-swarm} adapters); here the "workload" is an HTTP server
 * in this process, and this class is its {@link StateAdapter} on core's step SPI, so the steps
 * that start and stop versions are derived by {@code StateSteps} like every module's.
 */
final class Workloads implements StateAdapter<Workloads.Running>, AutoCloseable {

  /** The versions running, in order. */
  record Running(SortedSet<String> versions) {
    Running {
      versions = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(versions));
    }

    static Running of(String... versions) {
      return new Running(new TreeSet<>(Arrays.asList(versions)));
    }

    @Override
    public String toString() {
      return versions.isEmpty() ? "nothing running" : String.join(" and ", versions) + " running";
    }
  }

  /** Starts one version on its port. */
  interface Launcher {
    CheckoutService start(String version) throws IOException;
  }

  private static final String KEY = "workload.running";
  private final String service;
  private final Launcher launcher;
  private final Map<String, CheckoutService> running = new ConcurrentHashMap<>();

  Workloads(String service, Launcher launcher) {
    this.service = Objects.requireNonNull(service, "service");
    this.launcher = Objects.requireNonNull(launcher, "launcher");
  }

  /** Starts {@code version} outside a step (the state before the drill). */
  synchronized CheckoutService start(String version) throws IOException {
    CheckoutService s = running.get(version);
    if (s == null) {
      s = launcher.start(version);
      running.put(version, s);
    }
    return s;
  }

  synchronized Running running() {
    return new Running(new TreeSet<>(running.keySet()));
  }

  @Override
  public String describe() {
    return "workloads of " + service + " in this process";
  }

  @Override
  public Running read(StepContext ctx) {
    return running();
  }

  @Override
  public synchronized void apply(Running target, StepContext ctx) throws IOException {
    for (String v : target.versions()) {
      if (!running.containsKey(v)) {
        start(v);
        ctx.note(service + " " + v + " started on 127.0.0.1:" + running.get(v).port());
      }
    }
    for (String v : new TreeSet<>(running.keySet())) {
      if (!target.versions().contains(v)) {
        running.remove(v).close();
        ctx.note(service + " " + v + " stopped");
      }
    }
  }

  @Override
  public SnapshotCodec<Running> codec() {
    return SnapshotCodec.of(
        r -> Snapshot.of(KEY, String.join(",", r.versions())),
        s -> new Running(Arrays.stream(s.require(KEY).split(",")).filter(v -> !v.isBlank())
            .collect(Collectors.toCollection(TreeSet::new))));
  }

  @Override
  public synchronized void close() {
    running.values().forEach(CheckoutService::close);
    running.clear();
  }
}
