package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads a service's task list against a target spec: who runs it, who does not, who failed on it. */
final class Tasks {
  private Tasks() {}

  /** Task states that end a task (it will not run again). */
  static final Set<String> TERMINAL = Set.of("complete", "shutdown", "failed", "rejected", "remove", "orphaned");
  /** Terminal states that mean the task did not do what it was started for. */
  static final Set<String> FAILED = Set.of("failed", "rejected");

  static String state(JsonNode task) { return task.path("Status").path("State").asText(""); }
  static String desired(JsonNode task) { return task.path("DesiredState").asText(""); }
  static String error(JsonNode task) { return task.path("Status").path("Err").asText(""); }
  static String timestamp(JsonNode task) { return task.path("Status").path("Timestamp").asText(""); }

  /**
   * Whether the task runs {@code taskTemplate} (Swarm's own test: the task's spec is the service's
   * task template). The Engine API shows a service's template with {@code Runtime} but a task's spec
   * without it, so that field is left out of the comparison.
   */
  static boolean runs(JsonNode task, JsonNode taskTemplate) {
    return comparable(task.path("Spec")).equals(comparable(taskTemplate));
  }

  private static JsonNode comparable(JsonNode spec) {
    if (!(spec instanceof com.fasterxml.jackson.databind.node.ObjectNode o) || !o.has("Runtime")) return spec;
    com.fasterxml.jackson.databind.node.ObjectNode copy = o.deepCopy();
    copy.remove("Runtime");
    return copy;
  }

  static TaskReport report(JsonNode task, JsonNode taskTemplate) {
    return new TaskReport(task.path("ID").asText(""), task.path("Slot").asLong(0), task.path("NodeID").asText(""),
        state(task), desired(task), task.path("Spec").path("ContainerSpec").path("Image").asText(""), error(task),
        runs(task, taskTemplate));
  }

  /**
   * Converged when every wanted task (the target's replicas, or one per node holding a task for a
   * global service) runs the target's task template and is running, and no task meant to run
   * runs anything else. Lagging: the tasks meant to run that are not there yet, and per slot (or
   * node) the latest task of the target spec that failed.
   */
  static Convergence evaluate(SwarmServiceState target, JsonNode tasks) {
    JsonNode template = target.taskTemplate();
    List<JsonNode> all = new ArrayList<>();
    tasks.forEach(all::add);
    all.sort(Comparator.comparing(Tasks::timestamp));
    long running = 0;
    long currentElsewhere = 0;
    List<TaskReport> lagging = new ArrayList<>();
    Set<String> nodes = new HashSet<>();
    Map<String, JsonNode> latestFailure = new LinkedHashMap<>();
    for (JsonNode t : all) {
      boolean current = !TERMINAL.contains(desired(t));
      boolean onTarget = runs(t, template);
      if (current) {
        nodes.add(t.path("NodeID").asText(""));
        if (onTarget && state(t).equals("running")) {
          running++;
        } else {
          currentElsewhere++;
          lagging.add(report(t, template));
        }
      } else if (onTarget && FAILED.contains(state(t))) {
        latestFailure.put(t.path("Slot").asLong(0) + "/" + t.path("NodeID").asText(""), t);
      }
    }
    for (JsonNode t : latestFailure.values()) lagging.add(report(t, template));
    long desired = target.replicas().orElse(nodes.size());
    boolean converged = running == desired && currentElsewhere == 0;
    return new Convergence(target.service(), converged, running, desired, lagging, "", "");
  }

  /** Whether a task of the target spec failed: then Swarm may have paused the rollout, which only the service tells. */
  static boolean anyFailedOnTarget(Convergence c) {
    return c.lagging().stream().anyMatch(r -> r.onTarget() && FAILED.contains(r.state()));
  }
}
