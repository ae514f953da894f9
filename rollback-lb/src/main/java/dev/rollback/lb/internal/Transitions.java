package dev.rollback.lb.internal;

import dev.rollback.lb.Operational;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The checks and ordering every router applies a target with. */
public final class Transitions {
  private Transitions() {}

  /** One server's change from its current route to its target route. */
  public record ServerChange(String server, ServerRoute from, ServerRoute to) {
    /** The server takes traffic afterwards: changed before the servers that lose traffic. */
    public boolean gains() {
      return to.takesTraffic();
    }
  }

  /** What is wrong with {@code target} against {@code current}, or empty: unknown servers, weight out of range. */
  public static Optional<String> problem(RoutingState current, RoutingState target, int maxWeight) {
    List<String> unknown = new ArrayList<>();
    for (Map.Entry<String, ServerRoute> e : target.servers().entrySet()) {
      if (!current.servers().containsKey(e.getKey())) unknown.add(e.getKey());
      int w = e.getValue().weight();
      if (w > maxWeight) {
        return Optional.of("weight of " + target.backend() + "/" + e.getKey() + " must be between 0 and "
            + maxWeight + ": " + w);
      }
    }
    if (!unknown.isEmpty()) {
      return Optional.of("backend " + target.backend() + " has no server " + String.join(", ", unknown)
          + " (servers: " + current.servers().keySet() + ")");
    }
    return Optional.empty();
  }

  /** The state after applying {@code target} on {@code current}: servers not in the target keep their route. */
  public static RoutingState merged(RoutingState current, RoutingState target) {
    Map<String, ServerRoute> m = new LinkedHashMap<>(current.servers());
    target.servers().forEach((name, route) ->
        m.put(name, new ServerRoute(route.weight(), route.admin(), current.server(name).operational())));
    return RoutingState.of(current.backend(), m);
  }

  /**
   * Why {@code after} leaves no serving capacity, or empty: no server READY with a positive weight,
   * or every such server is DOWN by the load balancer's own checks.
   */
  public static Optional<String> capacityProblem(RoutingState after) {
    List<String> serving = after.serving();
    if (serving.isEmpty()) {
      return Optional.of("the target leaves backend " + after.backend() + " with no server taking traffic " + after);
    }
    boolean anyNotDown = serving.stream().anyMatch(s -> after.server(s).operational() != Operational.DOWN);
    if (!anyNotDown) {
      return Optional.of("every server the target sends traffic to is DOWN by the load balancer's checks "
          + after);
    }
    return Optional.empty();
  }

  /** The servers whose routing changes, those that gain traffic first. */
  public static List<ServerChange> ordered(RoutingState current, RoutingState target) {
    List<ServerChange> gainers = new ArrayList<>();
    List<ServerChange> losers = new ArrayList<>();
    target.servers().forEach((name, to) -> {
      ServerRoute from = current.server(name);
      if (from.sameRouting(to)) return;
      (to.takesTraffic() ? gainers : losers).add(new ServerChange(name, from, to));
    });
    gainers.addAll(losers);
    return gainers;
  }
}
