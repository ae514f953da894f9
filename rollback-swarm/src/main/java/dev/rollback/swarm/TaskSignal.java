package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
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
 * Task outcomes of one service as a {@link Signal}: a task that has been running for the stability
 * window (5 poll intervals, at least 5 s) is a good observation; a task seen ending failed, rejected
 * or complete (a restart Swarm has to make) is a failure, in the order of their status timestamps.
 * So a crash loop is failures in a row, whatever the restart delay. Tasks that had already ended
 * when the signal first looked are not counted. A task list that cannot be read is an UNKNOWN
 * observation, never a failure.
 */
final class TaskSignal implements Signal {
  private static final Set<String> ENDED_BADLY = Set.of("failed", "rejected", "complete");

  private final SwarmService service;
  private final Duration interval;
  private final String name;
  private final Duration stableAfter;
  private final Map<String, String> counted = new HashMap<>(); // task id -> "good" / "end"
  private final Map<String, Instant> runningSince = new HashMap<>();
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
    Duration five = interval.multipliedBy(5);
    this.stableAfter = five.compareTo(Duration.ofSeconds(5)) < 0 ? Duration.ofSeconds(5) : five;
  }

  @Override
  public String name() { return name; }

  @Override
  public Duration sampleInterval() { return interval; }

  @Override
  public synchronized Observations observe(Instant now) {
    if (!lastPoll.plus(interval).isAfter(now)) {
      lastPoll = now;
      poll(now);
    }
    return new Observations(name, now, total, failures, unknown, trailingFailures, trailingUnknown, detail,
        LatencyHistogram.empty());
  }

  private void poll(Instant now) {
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
      if (!baseline && Tasks.TERMINAL.contains(state)) {
        counted.put(id, "end");           // ended before the signal looked: not counted
        continue;
      }
      if (state.equals("running")) {
        Instant since = runningSince.computeIfAbsent(id, k -> now);
        if (seen == null && !since.plus(stableAfter).isAfter(now)) {
          counted.put(id, "good");
          total++;
          trailingFailures = 0;
        }
      } else if (ENDED_BADLY.contains(state) && !"end".equals(seen)) { // a good one that ends badly is one more observation
        counted.put(id, "end");
        total++;
        failures++;
        trailingFailures++;
        detail = Tasks.report(t, t.path("Spec")) + " at " + Tasks.timestamp(t);
      } else if (Tasks.TERMINAL.contains(state)) {
        counted.put(id, "end");
      }
    }
    if (trailingFailures == 0) detail = (total - failures - unknown) + " task(s) up for " + stableAfter + ", " + failures + " failure(s)";
    baseline = true;
  }

  @Override
  public String toString() {
    return "TaskSignal[" + name + " every " + interval + "]";
  }
}
