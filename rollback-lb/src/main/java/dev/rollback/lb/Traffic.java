package dev.rollback.lb;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.lb.internal.Names;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateStepException;
import dev.rollback.spi.StateSteps;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Plan steps, release changes and health checks that move traffic with a {@link TrafficRouter}.
 *
 * <pre>{@code
 * RollbackPlan.builder("checkout-2.4.0")
 *     .sequential("traffic", s -> s.step(Traffic.restoreKnownGood(haproxy, "checkout")))
 *     .verifiedBy(Traffic.probe("checkout via haproxy", URI.create("http://127.0.0.1:8080/health")))
 *     .build();
 * }</pre>
 *
 * The steps are derived from the backend's {@link StateAdapter} ({@link #backend}) by
 * {@link StateSteps}: every step journals the routing it found when it started (its undo
 * snapshot), is idempotent, reconciles by reading the routing back, reads the routing back after
 * it changed it, and fails with a {@link dev.rollback.spi.StateStepException} naming the step, the
 * backend and the router, whose cause is the {@link RouterException} saying what the router
 * refused or could not reach.
 */
public final class Traffic {
  private Traffic() {}

  /**
   * The routing of {@code backend} on {@code router} as a {@link StateAdapter}, draining the
   * servers a target takes traffic from: for {@link StateSteps} and for the adapter contract test
   * a router of your own should pass ({@code StateAdapterContract} in {@code rollback-test}).
   */
  public static StateAdapter<RoutingState> backend(TrafficRouter router, String backend) {
    return backend(router, backend, Cutover.drain());
  }

  /** The routing of {@code backend} on {@code router}, applied with {@code cutover}. */
  public static StateAdapter<RoutingState> backend(TrafficRouter router, String backend, Cutover cutover) {
    return new BackendState(router, backend, cutover);
  }

  /**
   * Puts {@code backend} back to the routing captured when the release started or the guard was
   * armed ({@link StepContext#knownGood()}), draining the servers that lose traffic.
   */
  public static Step restoreKnownGood(TrafficRouter router, String backend) {
    return restoreKnownGood(router, backend, Cutover.drain());
  }

  public static Step restoreKnownGood(TrafficRouter router, String backend, Cutover cutover) {
    StateAdapter<RoutingState> adapter = backend(router, backend, cutover);
    return StateSteps.restoreKnownGood("restore traffic " + backend, adapter)
        .withDescription("restore the known-good routing of backend " + backend + " on " + router.name());
  }

  /**
   * Blue/green flip: {@code servers} READY (with their current weight, or 100 if it is 0) and every
   * other server of the backend DRAIN (or MAINT with {@link Cutover#hardCut()}).
   */
  public static Step flipTo(TrafficRouter router, String backend, Cutover cutover, String... servers) {
    StateAdapter<RoutingState> adapter = backend(router, backend, cutover);
    if (servers.length == 0) throw new IllegalArgumentException("flip of backend " + backend + " needs a server to send traffic to");
    for (String s : servers) Names.require("server", s);
    Set<String> to = Set.copyOf(Arrays.asList(servers));
    return StateSteps.restoreComputed("flip " + backend, adapter, ctx -> flipTarget(router.read(backend), to, cutover))
        .withDescription("send all traffic of backend " + backend + " to " + String.join(", ", servers) + " on "
            + router.name());
  }

  public static Step flipTo(TrafficRouter router, String backend, String... servers) {
    return flipTo(router, backend, Cutover.drain(), servers);
  }

  /** Sets explicit weights (READY; weight 0 takes no new requests) on the named servers of {@code backend}. */
  public static Step setWeights(TrafficRouter router, String backend, Map<String, Integer> weights) {
    Objects.requireNonNull(weights, "weights");
    if (weights.isEmpty()) throw new IllegalArgumentException("weights of backend " + backend + " must not be empty");
    Map<String, ServerRoute> routes = new LinkedHashMap<>();
    weights.forEach((server, w) -> {
      if (w < 0 || w > router.maxWeight()) {
        throw new IllegalArgumentException("weight of " + backend + "/" + server + " must be between 0 and "
            + router.maxWeight() + " on " + router.name() + ": " + w);
      }
      routes.put(server, ServerRoute.ready(w));
    });
    return applyTarget(router, RoutingState.of(backend, routes), Cutover.drain());
  }

  /** Applies an explicit target routing. */
  public static Step applyTarget(TrafficRouter router, RoutingState target, Cutover cutover) {
    Objects.requireNonNull(target, "target");
    return StateSteps.restore("route " + target.backend(), backend(router, target.backend(), cutover), target)
        .withDescription("route backend " + target.backend() + " as " + target + " on " + router.name());
  }

  /**
   * A release change: moves {@code backend} to {@code target}, and reverts to the routing captured
   * when the release started.
   */
  public static Change change(String name, TrafficRouter router, RoutingState target) {
    Objects.requireNonNull(target, "target");
    Change c = StateSteps.change(name, backend(router, target.backend()), target);
    return c.withApply(c.apply().withDescription("route backend " + target.backend() + " as " + target + " on " + router.name()))
        .withRevert(c.revert().withDescription("restore the known-good routing of backend " + target.backend() + " on "
            + router.name()));
  }

  /** Gradual shift of traffic from {@code from} back to {@code to}, e.g. 50 → 10 → 0 percent on {@code from}. */
  public static TrafficShift shiftBack(TrafficRouter router, String backend, String from, String to) {
    return TrafficShift.create(router, backend, from, to);
  }

  /** UP when {@code server} is READY and UP by the load balancer's checks (UNKNOWN counts as UP where it has none). */
  public static HealthCheck serverReady(TrafficRouter router, String backend, String server) {
    Names.require("backend", backend);
    Names.require("server", server);
    String name = "server " + backend + "/" + server + " on " + router.name();
    return new NamedCheck(name, () -> {
      ServerRoute r = router.read(backend).server(server);
      boolean up = r.admin() == AdminState.READY && r.operational() != Operational.DOWN;
      return new Observed(up ? HealthStatus.UP : HealthStatus.DOWN, r.toString());
    });
  }

  /** UP when the routing of the target's backend satisfies {@code target}: verifies traffic was moved as planned. */
  public static HealthCheck routedAs(TrafficRouter router, RoutingState target) {
    String name = "backend " + target.backend() + " routed as " + target + " on " + router.name();
    return new NamedCheck(name, () -> {
      RoutingState actual = router.read(target.backend());
      return new Observed(target.isSatisfiedBy(actual) ? HealthStatus.UP : HealthStatus.DOWN, "actual " + actual);
    });
  }

  /** End-to-end probe through the load balancer: GET {@code uri}, UP on a 2xx answer within 2 s. */
  public static HealthCheck probe(String name, URI uri) {
    return probe(name, uri, Duration.ofSeconds(2));
  }

  public static HealthCheck probe(String name, URI uri, Duration timeout) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(uri, "uri");
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(timeout).build();
    return new NamedCheck(name, () -> {
      HttpResponse<Void> r = client.send(HttpRequest.newBuilder(uri).timeout(timeout).GET().build(),
          HttpResponse.BodyHandlers.discarding());
      int code = r.statusCode();
      return new Observed(code / 100 == 2 ? HealthStatus.UP : HealthStatus.DOWN, "GET " + uri + " answered " + code);
    });
  }

  // ------------------------------------------------------------------ internals

  static RoutingState flipTarget(RoutingState current, Set<String> to, Cutover cutover) {
    Map<String, ServerRoute> m = new LinkedHashMap<>();
    for (String s : to) current.server(s); // unknown server: clear message naming the servers there are
    current.servers().forEach((name, r) -> {
      if (to.contains(name)) m.put(name, ServerRoute.ready(r.weight() > 0 ? r.weight() : 100));
      else m.put(name, ServerRoute.of(r.weight(), cutover.hard() ? AdminState.MAINT : AdminState.DRAIN));
    });
    return RoutingState.of(current.backend(), m);
  }

  private record Observed(HealthStatus status, String detail) {}

  /** A check from a probe returning what it observed; an exception is DOWN with its message. */
  private record NamedCheck(String name, Probe probe) implements HealthCheck {
    interface Probe {
      Observed run() throws Exception;
    }

    @Override
    public Health check() {
      Instant start = Instant.now();
      try {
        Observed r = probe.run();
        return Health.of(name, r.status(), Duration.between(start, Instant.now()), r.detail());
      } catch (IOException | RuntimeException e) {
        return Health.of(name, HealthStatus.DOWN, Duration.between(start, Instant.now()),
            e.getClass().getSimpleName() + ": " + e.getMessage());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return Health.of(name, HealthStatus.UNKNOWN, Duration.between(start, Instant.now()), "interrupted");
      } catch (Exception e) {
        return Health.of(name, HealthStatus.DOWN, Duration.between(start, Instant.now()), e.toString());
      }
    }

    @Override
    public String toString() {
      return "HealthCheck[" + name + "]";
    }
  }
}
