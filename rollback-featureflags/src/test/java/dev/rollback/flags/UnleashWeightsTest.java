package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** How relative weights become Unleash's per-mille variant weights, before any request. */
class UnleashWeightsTest {

  @Test
  void scalesWeightsWhoseSumDividesAThousandExactlyKeepingTheirOrder() {
    assertThat(UnleashFlagStore.perMille("f", Rollout.weights("b", 90, "a", 10))).containsExactly(Map.entry("b", 900), Map.entry("a", 100));
    assertThat(UnleashFlagStore.perMille("f", Rollout.weights("a", 1, "b", 7))).containsExactly(Map.entry("a", 125), Map.entry("b", 875));
    assertThat(UnleashFlagStore.perMille("f", Rollout.weights("a", 333, "b", 667, "c", 0)))
        .containsExactly(Map.entry("a", 333), Map.entry("b", 667), Map.entry("c", 0));
  }

  @Test
  void refusesASumThatDoesNotDivideAThousandNamingTheFlagAndTheSum() {
    assertThatThrownBy(() -> UnleashFlagStore.perMille("new-theme", Rollout.weights("a", 1, "b", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flag 'new-theme'").hasMessageContaining("add up to 3").hasMessageContaining("100 or 1000");
    assertThatThrownBy(() -> UnleashFlagStore.perMille("f", Rollout.weights("a", 999, "b", 2))).hasMessageContaining("1001");
  }

  @Test
  void refusesVariantNamesUnleashDoesNotTakeNamingTheVariant() {
    assertThatThrownBy(() -> UnleashFlagStore.perMille("f", Rollout.weights("dark mode", 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variant 'dark mode' of flag 'f'");
    assertThatThrownBy(() -> UnleashFlagStore.perMille("f", Rollout.weights("x".repeat(101), 1))).hasMessageContaining("1 to 100 characters");
    assertThatThrownBy(() -> UnleashFlagStore.perMille("f", Rollout.weights("a/b", 1))).hasMessageContaining("'a/b'");
    assertThat(UnleashFlagStore.perMille("f", Rollout.weights("v2.1_(beta)~!", 1))).containsEntry("v2.1_(beta)~!", 1000);
  }
}
