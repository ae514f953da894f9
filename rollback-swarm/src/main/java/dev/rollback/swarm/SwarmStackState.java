package dev.rollback.swarm;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Every service of a stack (label {@code com.docker.stack.namespace}) with its spec, by service name.
 *
 * @param namespace the stack's namespace
 * @param services the services' states by full name ({@code shop_web}), in name order
 */
public record SwarmStackState(String namespace, Map<String, SwarmServiceState> services) {
  public SwarmStackState {
    Objects.requireNonNull(namespace, "namespace");
    services = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(services));
  }

  /** The state of service {@code name} (full or short name); an error naming the services there are. */
  public SwarmServiceState service(String name) {
    SwarmServiceState s = services.get(name);
    if (s == null) s = services.get(namespace + "_" + name);
    if (s == null) {
      throw new IllegalArgumentException("stack " + namespace + " has no service " + name + " (services: "
          + services.keySet() + ")");
    }
    return s;
  }
}
