package dev.rollback.lb.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.Traffic;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class LbTypesTest {
  final HaproxyRouter haproxy = HaproxyRouter.unixSocket(Path.of("/run/test/admin.sock"));

  @Test
  void theModuleRegistersItsStepAndTargetTypes() {
    assertThat(ServiceLoader.load(StepType.class).stream().map(p -> p.get().name()))
        .contains("lb.weights", "lb.flip", "lb.shift", "lb.restoreKnownGood");
    assertThat(ServiceLoader.load(TargetType.class).stream().map(p -> p.get().name())).contains("haproxy", "nginx");
  }

  @Test
  void weightsFromAFileAreTheDslsStepBoundedByATimeout() {
    Step fromFile = new LbTypes.Weights().step(Arguments.of("test", Map.of("target", haproxy, "backend", "checkout",
        "weights", Map.of("blue", 100))));
    Step dsl = Traffic.setWeights(haproxy, "checkout", Map.of("blue", 100));
    assertThat(fromFile.describe()).isEqualTo(dsl.describe());
    assertThat(fromFile.timeout()).contains(Duration.ofSeconds(30));
    assertThat(fromFile.isIdempotent()).isTrue();
  }

  @Test
  void weightsAreAlsoAReleaseChangeRevertedToTheKnownGoodRouting() {
    Change c = new LbTypes.Weights().change(Arguments.of("test", Map.of("target", haproxy, "backend", "checkout",
        "weights", Map.of("blue", 0, "green", 100))));
    assertThat(c.knownGoodCapture()).isPresent();
    assertThat(c.revert().describe()).contains("known-good routing of backend checkout");
  }

  @Test
  void aHaproxyTargetTakesASocketOrAnAddressNotBoth() throws Exception {
    TargetType t = new LbTypes.Haproxy();
    assertThat(t.open(Arguments.of("test", Map.of("address", "127.0.0.1:9999", "timeout", Duration.ofSeconds(1)))).toString())
        .contains("127.0.0.1:9999");
    assertThatThrownBy(() -> t.open(Arguments.of("test", Map.of("timeout", Duration.ofSeconds(1)))))
        .hasMessageContaining("socket and address");
    assertThatThrownBy(() -> t.open(Arguments.of("test", Map.of("address", "nowhere", "timeout", Duration.ofSeconds(1)))))
        .hasMessageContaining("host:port");
  }

  @Test
  void aShiftTakesItsPercentsAndIsBoundedPerStep() {
    Step s = new LbTypes.Shift().step(Arguments.of("test", Map.of("target", haproxy, "backend", "checkout", "from", "green",
        "to", "blue", "percents", List.of(50, 0), "within", Duration.ofSeconds(20), "cutover", "drain")));
    assertThat(s.describe()).contains("50% → 0%");
    assertThat(s.timeout()).contains(Duration.ofSeconds(60));
  }
}
