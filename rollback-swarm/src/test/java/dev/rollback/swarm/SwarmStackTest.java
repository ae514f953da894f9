package dev.rollback.swarm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SwarmStackTest {

  @Test
  void servicesWithoutDependenciesFormOneWave() {
    assertThat(SwarmStack.waves(List.of("a", "b", "c"), Map.of())).containsExactly(List.of("a", "b", "c"));
  }

  @Test
  void dependenciesMakeWavesAndUnknownOnesAreIgnored() {
    var deps = Map.of("web", Set.of("api"), "api", Set.of("db", "gone"), "worker", Set.of("db"));

    assertThat(SwarmStack.waves(List.of("api", "db", "web", "worker", "cache"), deps))
        .containsExactly(List.of("db", "cache"), List.of("api", "worker"), List.of("web"));
  }

  @Test
  void aCycleIsRefusedNamingTheServicesInIt() {
    assertThatThrownBy(() -> SwarmStack.waves(List.of("a", "b", "c"), Map.of("a", Set.of("b"), "b", Set.of("a"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cycle among [a, b]");
  }

  @Test
  void theStackSnapshotRoundTripsEveryServiceSpec() {
    SwarmStackState s = new SwarmStackState("shop", Map.of(
        "shop_web", SwarmServiceState.of("shop_web", "{\"Name\":\"shop_web\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"w:1\","
            + "\"Configs\":[{\"ConfigID\":\"c1\",\"ConfigName\":\"conf\"}]}}}"),
        "shop_db", SwarmServiceState.of("shop_db", "{\"Name\":\"shop_db\",\"TaskTemplate\":{\"ContainerSpec\":{\"Image\":\"d:1\"}}}")));

    var snapshot = SwarmStackAdapter.CODEC.encode(s);

    assertThat(SwarmStackAdapter.CODEC.decode(snapshot)).isEqualTo(s);
    assertThat(snapshot.require("shop_web.configs")).isEqualTo("conf (c1)");
    assertThat(snapshot.require("shop_web.image")).isEqualTo("w:1");
  }
}
