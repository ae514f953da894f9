package dev.rollback.lb;

import dev.rollback.Snapshot;
import dev.rollback.lb.internal.Names;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The routing of one backend: each server's weight and admin state, in the load balancer's order.
 * A router {@link TrafficRouter#read reads} it, a step journals it as a {@link Snapshot} (the
 * known-good target at release start, the undo snapshot at step start) and
 * {@link TrafficRouter#apply applies} it back.
 */
public record RoutingState(String backend, Map<String, ServerRoute> servers) {
  static final String BACKEND_KEY = "lb.backend";
  private static final String PREFIX = "lb.server.";

  public RoutingState {
    Names.require("backend", backend);
    Objects.requireNonNull(servers, "servers");
    servers.forEach((name, route) -> {
      Names.require("server", name);
      Objects.requireNonNull(route, () -> "route of server " + name);
    });
    servers = Collections.unmodifiableMap(new LinkedHashMap<>(servers));
  }

  public static RoutingState of(String backend, Map<String, ServerRoute> servers) {
    return new RoutingState(backend, servers);
  }

  /** The route of {@code server}, or an {@link IllegalArgumentException} listing the servers there are. */
  public ServerRoute server(String server) {
    ServerRoute r = servers.get(server);
    if (r == null) {
      throw new IllegalArgumentException("backend " + backend + " has no server " + Names.escape(server)
          + " (servers: " + servers.keySet() + ")");
    }
    return r;
  }

  /** The servers that take new requests (READY with a positive weight). */
  public List<String> serving() {
    return servers.entrySet().stream().filter(e -> e.getValue().takesTraffic()).map(Map.Entry::getKey).toList();
  }

  /** True if at least one server takes new requests. */
  public boolean hasCapacity() {
    return !serving().isEmpty();
  }

  /** The share of new requests {@code server} takes by weight, 0..1. */
  public double shareOf(String server) {
    int total = servers.values().stream().filter(ServerRoute::takesTraffic).mapToInt(ServerRoute::weight).sum();
    ServerRoute r = server(server);
    return total == 0 || !r.takesTraffic() ? 0 : (double) r.weight() / total;
  }

  public RoutingState withServer(String server, ServerRoute route) {
    Map<String, ServerRoute> copy = new LinkedHashMap<>(servers);
    copy.put(server, route);
    return new RoutingState(backend, copy);
  }

  public RoutingState withWeight(String server, int weight) {
    return withServer(server, server(server).withWeight(weight));
  }

  public RoutingState withAdmin(String server, AdminState admin) {
    return withServer(server, server(server).withAdmin(admin));
  }

  /**
   * True if every server of this state has the same weight and admin state in {@code actual}
   * (servers {@code actual} has in addition are ignored; operational states are ignored).
   */
  public boolean isSatisfiedBy(RoutingState actual) {
    if (!backend.equals(actual.backend)) return false;
    for (Map.Entry<String, ServerRoute> e : servers.entrySet()) {
      ServerRoute a = actual.servers.get(e.getKey());
      if (a == null || !a.sameRouting(e.getValue())) return false;
    }
    return true;
  }

  /** This state as journal-friendly strings ({@code lb.server.<name>.weight}, {@code .admin}). */
  public Snapshot toSnapshot() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(BACKEND_KEY, backend);
    servers.forEach((name, r) -> {
      m.put(PREFIX + name + ".weight", Integer.toString(r.weight()));
      m.put(PREFIX + name + ".admin", r.admin().name());
    });
    return Snapshot.of(m);
  }

  /** Reads a state written by {@link #toSnapshot()}; an {@link IllegalArgumentException} names what is wrong. */
  public static RoutingState fromSnapshot(Snapshot snapshot) {
    String backend = snapshot.get(BACKEND_KEY).orElseThrow(() -> new IllegalArgumentException(
        "snapshot is not a routing state: no '" + BACKEND_KEY + "' (keys: " + snapshot.values().keySet() + ")"));
    Map<String, ServerRoute> servers = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : snapshot.values().entrySet()) {
      String k = e.getKey();
      if (!k.startsWith(PREFIX) || !k.endsWith(".weight")) continue;
      String name = k.substring(PREFIX.length(), k.length() - ".weight".length());
      int weight;
      try {
        weight = Integer.parseInt(e.getValue());
      } catch (NumberFormatException ex) {
        throw new IllegalArgumentException("snapshot of backend " + backend + ": weight of " + name
            + " is not a number: " + Names.escape(e.getValue()), ex);
      }
      String admin = snapshot.get(PREFIX + name + ".admin").orElse(AdminState.READY.name());
      AdminState a;
      try {
        a = AdminState.valueOf(admin);
      } catch (IllegalArgumentException ex) {
        throw new IllegalArgumentException("snapshot of backend " + backend + ": admin state of " + name
            + " is not one of READY, DRAIN, MAINT: " + Names.escape(admin), ex);
      }
      servers.put(name, ServerRoute.of(weight, a));
    }
    if (servers.isEmpty()) throw new IllegalArgumentException("snapshot of backend " + backend + " has no servers");
    return new RoutingState(backend, servers);
  }

  @Override
  public String toString() {
    return backend + servers.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
        .collect(Collectors.joining(", ", "{", "}"));
  }
}
