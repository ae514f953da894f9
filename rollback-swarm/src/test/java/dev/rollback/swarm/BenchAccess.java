package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.swarm.internal.Api;
import java.util.List;

/** The benchmark's observer: lists the tasks with a marked request (left out of the request counts). */
public final class BenchAccess {
  public static final String MARKER = "bench=observer";

  private BenchAccess() {}

  /** Whether every wanted task of every one of {@code services} runs {@code image}. */
  public static boolean allOnImage(Api api, List<String> services, String image) {
    JsonNode tasks = api.get("/tasks?" + Api.filters("service", services) + "&" + MARKER);
    for (String s : services) {
      JsonNode service = api.get("/services/" + s + "?" + MARKER);
      SwarmServiceState target = SwarmServiceState.of(s, service.path("Spec").toString());
      if (!target.image().equals(image)) return false;
      com.fasterxml.jackson.databind.node.ArrayNode mine = Api.JSON.createArrayNode();
      for (JsonNode t : tasks) if (t.path("ServiceID").asText().equals(service.path("ID").asText())) mine.add(t);
      if (!Tasks.evaluate(target, mine).converged()) return false;
    }
    return true;
  }
}
