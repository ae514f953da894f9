package dev.rollback.flags.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.flags.FlagStore;
import dev.rollback.flags.FlagdFileStore;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlagTypesTest {
  @TempDir Path dir;

  @Test
  void theModuleRegistersItsStepAndTargetTypes() {
    assertThat(ServiceLoader.load(StepType.class).stream().map(p -> p.get().name()))
        .contains("flag.killSwitch", "flag.shiftDown", "flag.rollout", "flag.restoreKnownGood");
    assertThat(ServiceLoader.load(TargetType.class).stream().map(p -> p.get().name())).contains("flagd", "unleash");
  }

  @Test
  void aFlagdTargetNamesTheVariantsOfNonBooleanFlags() throws Exception {
    Object store = new FlagTypes.Flagd().open(Arguments.of("test", Map.of("file", dir.resolve("flags.json"),
        "variants", Map.of("theme", "dark/light"))));
    assertThat(store).isInstanceOf(FlagdFileStore.class);
    assertThatThrownBy(() -> new FlagTypes.Flagd().open(Arguments.of("test", Map.of("file", dir.resolve("flags.json"),
        "variants", Map.of("theme", "dark")))))
        .hasMessageContaining("onVariant/offVariant").hasMessageContaining("theme");
  }

  @Test
  void aRolloutTakesAPercentOrWeightsAndIsAlsoAReleaseChange() {
    FlagStore store = FlagdFileStore.of(dir.resolve("flags.json"));
    StepType rollout = new FlagTypes.SetRollout();
    Step s = rollout.step(Arguments.of("test", Map.of("target", store, "flag", "new-checkout", "percent", 20)));
    assertThat(s.describe()).contains("to 20%");
    Change c = rollout.change(Arguments.of("test", Map.of("target", store, "flag", "new-checkout", "weights", Map.of("v1", 1, "v2", 3))));
    assertThat(c.knownGoodCapture()).isPresent();
    assertThatThrownBy(() -> rollout.step(Arguments.of("test", Map.of("target", store, "flag", "x"))))
        .hasMessageContaining("exactly one of percent and weights");
  }
}
