package dev.rollback.swarm.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import dev.rollback.swarm.DockerSwarm;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class SwarmTypesTest {
  @Test
  void theModuleRegistersItsStepAndTargetTypes() {
    assertThat(ServiceLoader.load(StepType.class).stream().map(p -> p.get().name()))
        .contains("swarm.restoreKnownGood", "swarm.rollbackToPrevious", "swarm.restoreStack", "swarm.setImage");
    assertThat(ServiceLoader.load(TargetType.class).stream().map(p -> p.get().name())).contains("swarm");
  }

  @Test
  void theStepsWaitForConvergenceWithinTheirTimeout() throws Exception {
    try (DockerSwarm swarm = (DockerSwarm) new SwarmTypes.Manager().open(Arguments.of("test",
        Map.of("socket", Path.of("/run/rollback-test-none/docker.sock"))))) {
      Map<String, Object> args = Map.of("target", swarm, "service", "shop_web", "convergeTimeout", Duration.ofMinutes(1),
          "image", "registry.local/web:2");
      Step previous = new SwarmTypes.RollbackToPrevious().step(Arguments.of("test", args));
      assertThat(previous.describe()).contains("shop_web");
      assertThat(previous.timeout()).contains(Duration.ofSeconds(90));
      Change c = new SwarmTypes.SetImage().change(Arguments.of("test", args));
      assertThat(c.knownGoodCapture()).isPresent();
    }
  }
}
