package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Snapshot;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RoutingStateTest {

  private static RoutingState blueGreen() {
    Map<String, ServerRoute> m = new LinkedHashMap<>();
    m.put("blue", ServerRoute.ready(100));
    m.put("green", ServerRoute.of(0, AdminState.DRAIN));
    return RoutingState.of("checkout", m);
  }

  @Test
  void survivesTheJournalAsASnapshot() {
    RoutingState s = blueGreen();

    Snapshot snapshot = s.toSnapshot();

    assertThat(snapshot.values()).containsEntry("lb.backend", "checkout")
        .containsEntry("lb.server.blue.weight", "100").containsEntry("lb.server.green.admin", "DRAIN");
    assertThat(RoutingState.fromSnapshot(snapshot)).isEqualTo(s);
  }

  @Test
  void aSnapshotThatIsNoRoutingStateIsRefusedWithItsKeys() {
    assertThatThrownBy(() -> RoutingState.fromSnapshot(Snapshot.of("revision", "7")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no 'lb.backend'").hasMessageContaining("revision");
    assertThatThrownBy(() -> RoutingState.fromSnapshot(blueGreen().toSnapshot().with("lb.server.blue.admin", "UP")))
        .hasMessageContaining("admin state of blue is not one of READY, DRAIN, MAINT: \"UP\"");
  }

  @ParameterizedTest
  @ValueSource(strings = {"v1\nset server app/v2 weight 0", "v1; shutdown sessions server app/v1", "v1 v2",
      "v1}", "#v1", "", "v1\r", "-v1"})
  void refusesServerNamesThatCouldInjectACommandOrConfig(String name) {
    assertThatThrownBy(() -> RoutingState.of("app", Map.of(name, ServerRoute.ready(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("server name")
        .hasMessageContaining("is not allowed")
        .hasMessageNotContaining("\n");
  }

  @ParameterizedTest
  @ValueSource(strings = {"app\nshow sess", "app;help", "app b", "app{"})
  void refusesBackendNamesThatCouldInjectACommandOrConfig(String name) {
    assertThatThrownBy(() -> RoutingState.of(name, Map.of("v1", ServerRoute.ready(1))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("backend name");
    assertThatThrownBy(() -> Traffic.restoreKnownGood(HaproxyRouter.tcp("127.0.0.1", 9), name))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void stepFactoriesCheckNamesAndWeightsWhenThePlanIsBuilt() {
    HaproxyRouter router = HaproxyRouter.tcp("127.0.0.1", 9);

    assertThatThrownBy(() -> Traffic.flipTo(router, "app", "v1;help"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("\"v1;help\"");
    assertThatThrownBy(() -> Traffic.setWeights(router, "app", Map.of("v1", 300)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 0 and 256").hasMessageContaining("300");
    assertThatThrownBy(() -> Traffic.shiftBack(router, "app", "v2", "v1").inSteps(50, 50, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("strictly decreasing");
    assertThatThrownBy(() -> Traffic.shiftBack(router, "app", "v2", "v1").inSteps(120, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0..100: 120");
  }

  @Test
  void sharesFollowWeightsOfServersTakingTraffic() {
    RoutingState s = blueGreen().withAdmin("green", AdminState.READY).withWeight("green", 100).withWeight("blue", 300);

    assertThat(s.shareOf("blue")).isEqualTo(0.75);
    assertThat(s.shareOf("green")).isEqualTo(0.25);
    assertThat(blueGreen().shareOf("green")).isZero();
  }

  @Test
  void aTargetIsSatisfiedByRoutingRegardlessOfHealth() {
    RoutingState target = blueGreen();
    RoutingState actual = RoutingState.of("checkout", Map.of(
        "blue", new ServerRoute(100, AdminState.READY, Operational.UP),
        "green", new ServerRoute(0, AdminState.DRAIN, Operational.DOWN),
        "other", ServerRoute.ready(5)));

    assertThat(target.isSatisfiedBy(actual)).isTrue();
    assertThat(target.isSatisfiedBy(actual.withWeight("blue", 99))).isFalse();
  }

  @Test
  void aShiftStepsThroughPercentagesOnBothServers() {
    TrafficShift shift = Traffic.shiftBack(HaproxyRouter.tcp("127.0.0.1", 9), "app", "v2", "v1");

    assertThat(shift.percents()).containsExactly(50, 10, 0);
    assertThat(shift.targetAt(10)).isEqualTo(RoutingState.of("app",
        Map.of("v2", ServerRoute.ready(10), "v1", ServerRoute.ready(90))));
    assertThat(shift.toStep().describe()).contains("50% → 10% → 0%", "from v2 to v1");
  }
}
