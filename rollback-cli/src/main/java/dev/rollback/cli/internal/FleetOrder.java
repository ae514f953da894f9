package dev.rollback.cli.internal;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The order a fleet rolls back in: dependents before what they depend on (the reverse of the
 * order they are deployed in), in waves of services that do not depend on each other.
 */
public final class FleetOrder {
  private FleetOrder() {}

  /** A dependency cycle as names (the first repeated at the end), or an empty list. */
  public static List<String> cycle(List<Compiled.Service> services) {
    Map<String, List<String>> deps = new LinkedHashMap<>();
    for (Compiled.Service s : services) deps.put(s.name(), s.dependsOn());
    Map<String, Integer> state = new HashMap<>();
    for (String s : deps.keySet()) {
      List<String> stack = new ArrayList<>();
      List<String> c = visit(s, deps, state, stack);
      if (!c.isEmpty()) return c;
    }
    return List.of();
  }

  private static List<String> visit(String s, Map<String, List<String>> deps, Map<String, Integer> state, List<String> stack) {
    Integer st = state.get(s);
    if (st != null && st == 2) return List.of();
    if (st != null && st == 1) {
      List<String> c = new ArrayList<>(stack.subList(stack.indexOf(s), stack.size()));
      c.add(s);
      return c;
    }
    state.put(s, 1);
    stack.add(s);
    for (String d : deps.getOrDefault(s, List.of())) {
      List<String> c = visit(d, deps, state, stack);
      if (!c.isEmpty()) return c;
    }
    stack.remove(stack.size() - 1);
    state.put(s, 2);
    return List.of();
  }

  /**
   * The waves: the first holds the services nothing depends on, each next one the services whose
   * dependents are all in earlier waves. Within a wave, file order.
   */
  public static List<List<String>> waves(List<Compiled.Service> services) {
    Map<String, Integer> level = new LinkedHashMap<>();
    Map<String, List<String>> dependents = new HashMap<>();
    for (Compiled.Service s : services) {
      for (String d : s.dependsOn()) dependents.computeIfAbsent(d, k -> new ArrayList<>()).add(s.name());
    }
    for (Compiled.Service s : services) level(s.name(), dependents, level);
    int max = level.values().stream().mapToInt(Integer::intValue).max().orElse(-1);
    List<List<String>> waves = new ArrayList<>();
    for (int i = 0; i <= max; i++) waves.add(new ArrayList<>());
    for (Compiled.Service s : services) waves.get(level.get(s.name())).add(s.name());
    return waves;
  }

  private static int level(String s, Map<String, List<String>> dependents, Map<String, Integer> level) {
    Integer l = level.get(s);
    if (l != null) return l;
    int max = -1;
    for (String d : dependents.getOrDefault(s, List.of())) max = Math.max(max, level(d, dependents, level));
    level.put(s, max + 1);
    return max + 1;
  }
}
