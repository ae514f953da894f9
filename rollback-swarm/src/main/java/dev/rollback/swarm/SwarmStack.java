package dev.rollback.swarm;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.swarm.internal.Api;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A stack: every service labelled {@code com.docker.stack.namespace=NAMESPACE}, captured and
 * restored together. Without dependencies every service is restored at once (writes one after the
 * other, then one wait for all); {@link #after} and {@link #inOrder} make a service wait until the
 * ones it depends on run their restored spec. Immutable; {@code with*} return copies.
 */
public final class SwarmStack {
  public static final String NAMESPACE_LABEL = "com.docker.stack.namespace";

  private final Api api;
  private final String namespace;
  private final Map<String, Set<String>> dependencies;
  private final @Nullable Rollout rollout;
  private final Duration convergeTimeout;
  private final Duration pollInterval;

  SwarmStack(Api api, String namespace) {
    this(api, namespace, Map.of(), null, Duration.ofMinutes(5), Duration.ofMillis(100));
  }

  private SwarmStack(Api api, String namespace, Map<String, Set<String>> dependencies, @Nullable Rollout rollout,
      Duration convergeTimeout, Duration pollInterval) {
    this.api = api;
    this.namespace = namespace;
    this.dependencies = dependencies;
    this.rollout = rollout;
    this.convergeTimeout = convergeTimeout;
    this.pollInterval = pollInterval;
  }

  /**
   * {@code service} is restored only once every one of {@code dependsOn} runs its restored spec.
   * Names are full ({@code shop_db}) or short ({@code db}). A cycle is refused here, naming it.
   */
  public SwarmStack after(String service, String... dependsOn) {
    Map<String, Set<String>> deps = new LinkedHashMap<>();
    dependencies.forEach((k, v) -> deps.put(k, new LinkedHashSet<>(v)));
    String s = full(DockerSwarm.requireName("service", service));
    for (String d : dependsOn) {
      String f = full(DockerSwarm.requireName("dependency of " + service, d));
      if (f.equals(s)) throw new IllegalArgumentException("service " + s + " cannot come after itself");
      deps.computeIfAbsent(s, k -> new LinkedHashSet<>()).add(f);
    }
    Map<String, Set<String>> frozen = new LinkedHashMap<>();
    deps.forEach((k, v) -> frozen.put(k, Set.copyOf(v)));
    waves(new ArrayList<>(allNames(frozen)), frozen); // refuses a cycle now, at the call that made it
    return new SwarmStack(api, namespace, Map.copyOf(frozen), rollout, convergeTimeout, pollInterval);
  }

  /** Each service after the one before it: {@code inOrder("db", "api", "web")}. */
  public SwarmStack inOrder(String... services) {
    SwarmStack s = this;
    for (int i = 1; i < services.length; i++) s = s.after(services[i], services[i - 1]);
    return s;
  }

  /** Every service's restore rolls out with these settings instead of its rollback config. */
  public SwarmStack withRollout(Rollout rollout) {
    return new SwarmStack(api, namespace, dependencies, Objects.requireNonNull(rollout, "rollout"), convergeTimeout, pollInterval);
  }

  /** How long each wave of services may take to converge (default 5 min). */
  public SwarmStack withConvergeTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("converge timeout must be positive: " + timeout);
    return new SwarmStack(api, namespace, dependencies, rollout, timeout, pollInterval);
  }

  /** How often a wait lists the tasks (default 100 ms; one request for all the services of a wave). */
  public SwarmStack withPollInterval(Duration interval) {
    Objects.requireNonNull(interval, "interval");
    if (interval.isNegative() || interval.isZero()) throw new IllegalArgumentException("poll interval must be positive: " + interval);
    return new SwarmStack(api, namespace, dependencies, rollout, convergeTimeout, interval);
  }

  public String namespace() { return namespace; }
  public Map<String, Set<String>> dependencies() { return dependencies; }
  public Duration convergeTimeout() { return convergeTimeout; }
  public Duration pollInterval() { return pollInterval; }
  Api api() { return api; }

  /** {@code stack NAMESPACE}. */
  public String describe() { return "stack " + namespace; }

  String full(String service) {
    return service.startsWith(namespace + "_") ? service : namespace + "_" + service;
  }

  /** The service handle used to restore {@code name}, with this stack's settings. */
  SwarmService service(String name) {
    SwarmService s = new SwarmService(api, name).withConvergeTimeout(convergeTimeout).withPollInterval(pollInterval);
    return rollout == null ? s : s.withRollout(rollout);
  }

  /**
   * The stack as a step-SPI {@link StateAdapter}: its state is every service's spec; apply restores
   * them wave by wave as {@link #restore} does; settled means every task of every service runs its
   * spec. {@link Swarm#restoreStack} derives its steps from it with {@link StateSteps}.
   */
  public StateAdapter<SwarmStackState> adapter() { return impl(); }

  SwarmStackAdapter impl() { return new SwarmStackAdapter(this); }

  /** Every service of the stack with its spec; an error when no service carries the stack's label. */
  public SwarmStackState capture() {
    return impl().observe().state();
  }

  /** Restores every service of {@code target}, wave by wave; see {@link StackRestoreResult}. */
  public StackRestoreResult restore(SwarmStackState target) {
    return impl().restore(Objects.requireNonNull(target, "target"), null);
  }

  private static Set<String> allNames(Map<String, Set<String>> deps) {
    Set<String> all = new LinkedHashSet<>(deps.keySet());
    deps.values().forEach(all::addAll);
    return all;
  }

  /**
   * {@code services} in waves: each wave holds the services whose dependencies are all in earlier
   * waves (dependencies on services outside {@code services} are ignored). A cycle is an IAE naming it.
   */
  static List<List<String>> waves(List<String> services, Map<String, Set<String>> deps) {
    List<List<String>> waves = new ArrayList<>();
    Set<String> done = new LinkedHashSet<>();
    List<String> left = new ArrayList<>(services);
    while (!left.isEmpty()) {
      List<String> wave = new ArrayList<>();
      for (String s : left) {
        boolean ready = true;
        for (String d : deps.getOrDefault(s, Set.of())) {
          if (services.contains(d) && !done.contains(d)) ready = false;
        }
        if (ready) wave.add(s);
      }
      if (wave.isEmpty()) {
        throw new IllegalArgumentException("the service dependencies form a cycle among " + left + ": " + deps);
      }
      waves.add(wave);
      done.addAll(wave);
      left.removeAll(wave);
    }
    return waves;
  }

  @Override
  public String toString() {
    return "SwarmStack[" + namespace + " on " + api.host() + "]";
  }
}
