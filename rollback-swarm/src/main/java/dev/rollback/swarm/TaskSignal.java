package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.LatencyHistogram;
import dev.rollback.Observations;
import dev.rollback.Signal;
import dev.rollback.swarm.internal.Api;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Task starts and task failures of one service as a {@link Signal}: each task seen running is a
 * good observation, each task seen ending failed, rejected or complete (a restart) a failure, in
 * the order of their status timestamps. Tasks that had already ended when the signal first looked
 * are not counted. A task list that cannot be read is an UNKNOWN observation, never a failure.
 */
final class TaskSignal implements Signal {
  private static final Set<String> ENDED_BADLY = Set.of("failed", "rejected", "complete");

  private final SwarmService service;
  private final Duration interval;
  private final String name;
  private final Map<String, String> counted = new HashMap<>(); // task id -> "start" / "end"
  private Instant lastPoll = Instant.MIN;
  private boolean baseline;
  private long total;
  private long failures;
  private long unknown;
  private long trailingFailures;
  private long trailingUnknown;
  private String detail = "nothing observed yet";

  TaskSignal(SwarmService service, Duration interval) {
    this.service = service;
    this.interval = interval;
    this.name = "tasks of " + service.describe();
  }

  @Override
  public String name() { return name; }

  @Override
  public Duration sampleInterval() { return interval; }

  @Override
  public synchronized Observations observe(Instant now) {
    if (!lastPoll.plus(interval).isAfter(now)) {
      lastPoll = now;
      poll();
    }
    return new Observations(name, now, total, failures, unknown, trailingFailures, trailingUnknown, detail,
        LatencyHistogram.empty());
  }

  private void poll() {
    JsonNode tasks;
    try {
      tasks = service.api().get("/tasks?" + Api.filters(Map.of("service", service.name())));
    } catch (RuntimeException e) {
      total++;
      unknown++;
      trailingUnknown++;
      detail = "could not list the tasks: " + e.getMessage();
      return;
    }
    trailingUnknown = 0;
    List<JsonNode> sorted = new ArrayList<>();
    tasks.forEach(sorted::add);
    sorted.sort(Comparator.comparing(Tasks::timestamp));
    for (JsonNode t : sorted) {
      String id = t.path("ID").asText();
      String state = Tasks.state(t);
      String seen = counted.get(id);
      if (!baseline) {
        if (Tasks.TERMINAL.contains(state)) counted.put(id, "end");
        else if (state.equals("running")) { counted.put(id, "start"); total++; }
        continue;
      }
      if (state.equals("running") && seen == null) {
        counted.put(id, "start");
        total++;
        trailingFailures = 0;
      } else if (ENDED_BADLY.contains(state) && !"end".equals(seen)) {
        counted.put(id, "end");
        total++;
        failures++;
        trailingFailures++;
        detail = Tasks.report(t, t.path("Spec")) + " at " + Tasks.timestamp(t);
      } else if (Tasks.TERMINAL.contains(state)) {
        counted.put(id, "end");
      }
    }
    if (trailingFailures == 0) detail = total - failures - unknown + " task start(s), " + failures + " failure(s)";
    baseline = true;
  }

  @Override
  public String toString() {
    return "TaskSignal[" + name + " every " + interval + "]";
  }
}
