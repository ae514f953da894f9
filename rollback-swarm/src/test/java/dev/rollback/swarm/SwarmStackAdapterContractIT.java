package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link dev.rollback.test.StateAdapterContract} for a whole stack on the real dockerd: two
 * services restored together (the dependency order is {@code SwarmStackIT}'s; here it would only
 * double each restore's time); the two states differ in both images and in the config web
 * references, read back from the daemon after real updates.
 */
@org.junit.jupiter.api.Timeout(value = 4, unit = java.util.concurrent.TimeUnit.MINUTES)
class SwarmStackAdapterContractIT extends dev.rollback.test.StateAdapterContract<SwarmStackState> {
  static RealSwarm docker;
  static String ns;
  static SwarmStack stack;
  static SwarmStackState good;
  static SwarmStackState changed;

  @BeforeAll
  static void createTheStack() {
    docker = RealSwarm.get();
    ns = RealSwarm.unique("cstack");
    String v1Config = ns + "-v1";
    String v1ConfigId = docker.createConfig(v1Config, "mode=v1");
    for (String s : List.of("db", "web")) {
      ObjectNode spec = docker.serviceSpec(ns + "_" + s, docker.image("1"), 1);
      spec.putObject("Labels").put(SwarmStack.NAMESPACE_LABEL, ns);
      if (s.equals("web")) RealSwarm.attachConfig(spec, v1ConfigId, v1Config, "/app.conf");
      docker.create(spec);
    }
    for (String s : List.of("db", "web")) docker.awaitConverged(ns + "_" + s, Duration.ofSeconds(60));
    stack = docker.swarm.stack(ns).withConvergeTimeout(Duration.ofSeconds(60));
    good = stack.capture();

    String v2Config = ns + "-v2";
    String v2ConfigId = docker.createConfig(v2Config, "mode=v2");
    String v2 = docker.image("2");
    for (String s : List.of("db", "web")) {
      docker.update(ns + "_" + s, sp -> {
        RealSwarm.setImage(sp, v2);
        if (s.equals("web")) RealSwarm.attachConfig(sp, v2ConfigId, v2Config, "/app.conf");
      });
    }
    for (String s : List.of("db", "web")) docker.awaitConverged(ns + "_" + s, Duration.ofSeconds(60));
    changed = stack.capture();
    assertThat(changed.services()).hasSize(2);
    assertThat(changed.service("web").configs()).containsExactly(v2Config + " (" + v2ConfigId + ")");
  }

  @AfterAll
  static void removeTheStack() {
    for (String s : List.of("db", "web")) docker.remove(ns + "_" + s);
  }

  @Override
  protected StateAdapter<SwarmStackState> adapter() {
    return stack.adapter();
  }

  @Override
  protected SwarmStackState knownGoodState() {
    return good;
  }

  @Override
  protected SwarmStackState changedState() {
    return changed;
  }

  @Override
  protected StateSteps<SwarmStackState> steps(StateAdapter<SwarmStackState> adapter) {
    return StateSteps.on(adapter).awaitingSettled(Duration.ofSeconds(60), Duration.ofMillis(100));
  }

  /** Each service's spec, previous spec, update status and tasks meant to run (once its rollout is over). */
  @Override
  protected Object fingerprint(StateAdapter<SwarmStackState> adapter) {
    List<Object> all = new ArrayList<>();
    for (String s : List.of("db", "web")) all.add(docker.writeMarks(ns + "_" + s));
    return all;
  }
}
