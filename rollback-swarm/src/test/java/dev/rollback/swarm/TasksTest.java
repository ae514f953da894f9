package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.swarm.internal.Api;
import org.junit.jupiter.api.Test;

class TasksTest {
  static final SwarmServiceState TARGET = SwarmServiceState.of("web",
      "{\"Name\":\"web\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"app:1\"}},\"Mode\":{\"Replicated\":{\"Replicas\":2}}}");

  static ObjectNode task(String id, int slot, String image, String state, String desired, String err, String ts) {
    ObjectNode t = Api.JSON.createObjectNode();
    t.put("ID", id);
    t.put("Slot", slot);
    t.put("NodeID", "node1");
    t.putObject("Spec").putObject("ContainerSpec").put("Image", image);
    ObjectNode st = t.putObject("Status");
    st.put("State", state);
    st.put("Timestamp", ts);
    if (!err.isEmpty()) st.put("Err", err);
    t.put("DesiredState", desired);
    return t;
  }

  static JsonNode list(ObjectNode... tasks) {
    ArrayNode a = Api.JSON.createArrayNode();
    for (ObjectNode t : tasks) a.add(t);
    return a;
  }

  @Test
  void convergedWhenEveryWantedTaskRunsTheTargetSpec() {
    Convergence c = Tasks.evaluate(TARGET, list(
        task("a", 1, "app:1", "running", "running", "", "2026-01-01T00:00:02Z"),
        task("b", 2, "app:1", "running", "running", "", "2026-01-01T00:00:03Z"),
        task("old", 1, "app:2", "shutdown", "shutdown", "", "2026-01-01T00:00:01Z")));

    assertThat(c.converged()).isTrue();
    assertThat(c.running()).isEqualTo(2);
    assertThat(c.lagging()).isEmpty();
  }

  @Test
  void aTaskStillOnTheOldSpecOrStartingIsLagging() {
    Convergence c = Tasks.evaluate(TARGET, list(
        task("a", 1, "app:1", "starting", "running", "", "2026-01-01T00:00:02Z"),
        task("b", 2, "app:2", "running", "running", "", "2026-01-01T00:00:01Z")));

    assertThat(c.converged()).isFalse();
    assertThat(c.lagging()).extracting(TaskReport::id).containsExactly("b", "a");
    assertThat(c.summary()).contains("0/2 tasks running the target spec").contains("on image app:2");
  }

  @Test
  void theLatestFailureOnTheTargetSpecIsReportedWithItsError() {
    Convergence c = Tasks.evaluate(TARGET, list(
        task("r1", 1, "app:1", "rejected", "shutdown", "No such image: app:1", "2026-01-01T00:00:01Z"),
        task("r2", 1, "app:1", "rejected", "shutdown", "No such image: app:1 (again)", "2026-01-01T00:00:02Z"),
        task("b", 1, "app:2", "running", "running", "", "2026-01-01T00:00:00Z")));

    assertThat(c.converged()).isFalse();
    assertThat(Tasks.anyFailedOnTarget(c)).isTrue();
    assertThat(c.summary()).contains("rejected").contains("(again)").doesNotContain("app:1\n");
  }

  @Test
  void aGlobalServiceWantsOneTaskPerNodeHoldingOne() {
    SwarmServiceState global = SwarmServiceState.of("agent",
        "{\"Name\":\"agent\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"app:1\"}},\"Mode\":{\"Global\":{}}}");
    Convergence c = Tasks.evaluate(global, list(task("a", 0, "app:1", "running", "running", "", "t")));

    assertThat(c.converged()).isTrue();
    assertThat(c.desired()).isEqualTo(1);
  }
}
