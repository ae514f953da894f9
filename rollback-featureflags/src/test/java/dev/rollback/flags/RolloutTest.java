package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Snapshot;
import org.junit.jupiter.api.Test;

class RolloutTest {

  @Test
  void encodesAndDecodesEveryKindOfRollout() {
    assertThat(Rollout.decode(Rollout.percent(37).encode())).isEqualTo(Rollout.percent(37));
    Rollout.Weights w = Rollout.weights("blue", 90, "green", 10);
    assertThat(Rollout.decode(w.encode())).isEqualTo(w);
    assertThat(((Rollout.Weights) Rollout.decode(w.encode())).variants()).containsExactly("blue", "green");
    assertThat(Rollout.decode("custom")).isEqualTo(Rollout.Custom.INSTANCE);
  }

  @Test
  void rejectsPercentagesOutsideZeroToHundredNamingTheValue() {
    assertThatThrownBy(() -> Rollout.percent(101)).hasMessageContaining("0..100: 101");
    assertThatThrownBy(() -> Rollout.percent(-1)).hasMessageContaining("-1");
  }

  @Test
  void rejectsWeightsThatAreAllZeroOrNegative() {
    assertThatThrownBy(() -> Rollout.weights("a", 0, "b", 0)).hasMessageContaining("must not all be 0");
    assertThatThrownBy(() -> Rollout.weights("a", -1)).hasMessageContaining("'a' must be >= 0");
  }

  @Test
  void rejectsTextThatIsNoRollout() {
    assertThatThrownBy(() -> Rollout.decode("x%")).hasMessageContaining("'x%'");
    assertThatThrownBy(() -> Rollout.decode("blue")).hasMessageContaining("'blue'");
  }

  @Test
  void flagStateSurvivesTheJournalAsASnapshot() {
    FlagState s = new FlagState("new-checkout", true, Rollout.percent(10), "{\"x\":1}");
    Snapshot snap = s.toSnapshot();
    assertThat(FlagState.fromSnapshot(snap)).isEqualTo(s);
    assertThatThrownBy(() -> FlagState.fromSnapshot(Snapshot.of("flag", "x"))).hasMessageContaining("'enabled'");
  }
}
