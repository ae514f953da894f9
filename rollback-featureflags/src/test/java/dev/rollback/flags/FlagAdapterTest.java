package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.spi.Settled;
import dev.rollback.spi.StateAdapter;
import dev.rollback.test.FakeStepContext;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flag's {@link StateAdapter} on its own: what matches, what is written, what settled means. */
class FlagAdapterTest {
  private static final String FLAG = "new-checkout";
  private final InMemoryFlagStore store = InMemoryFlagStore.create().define(FLAG, Rollout.percent(50));
  private final OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
  private final StateAdapter<FlagState> flag = FeatureFlags.flag(store, FLAG);

  @TempDir Path dir;

  FlagAdapterTest() {
    api.setProviderAndWait(store.provider());
  }

  @AfterEach
  void shutdown() {
    api.shutdown();
  }

  @Test
  void anOffFlagMatchesTheTargetOffWhateverRuleItKeepsForWhenItIsOn() {
    FlagState offKeepingFifty = new FlagState(FLAG, false, Rollout.percent(50), "{\"kept\":\"for later\"}");

    assertThat(flag.matches(FlagState.off(FLAG), offKeepingFifty)).isTrue();
    assertThat(flag.matches(offKeepingFifty, FlagState.off(FLAG))).isTrue();
    assertThat(flag.matches(FlagState.off(FLAG), new FlagState(FLAG, true, Rollout.percent(0), "{}")))
        .as("on for 0% is not off").isFalse();
  }

  @Test
  void anOnFlagMatchesTheSameSplitIgnoringTheNativeDefinition() {
    FlagState read = store.read(FLAG);

    assertThat(flag.matches(FlagState.on(FLAG, Rollout.percent(50)), read)).isTrue();
    assertThat(flag.matches(FlagState.on(FLAG, Rollout.percent(10)), read)).isFalse();
    assertThat(flag.matches(FlagState.on(FLAG, Rollout.weights("a", 1, "b", 9)),
        new FlagState(FLAG, true, Rollout.weights("a", 100, "b", 900), "{\"per\":\"mille\"}")))
        .as("Unleash stores weights per mille").isTrue();
    assertThat(flag.matches(FlagState.on(FLAG, Rollout.weights("a", 1, "b", 9)),
        new FlagState(FLAG, true, Rollout.weights("a", 900, "b", 100), "{}"))).isFalse();
    assertThat(flag.matches(FlagState.on("other", Rollout.percent(50)), read)).as("another flag").isFalse();
  }

  @Test
  void aCustomRuleMatchesOnlyTheSameRule() throws Exception {
    Path file = dir.resolve("flags.json");
    Files.writeString(file, """
        {"flags": {"beta": {"state": "ENABLED", "variants": {"on": true, "off": false}, "defaultVariant": "off",
          "targeting": {"if": [{"in": ["@example.com", {"var": "email"}]}, "on", "off"]}}}}
        """);
    FlagdFileStore flagd = FlagdFileStore.of(file);
    StateAdapter<FlagState> beta = FeatureFlags.flag(flagd, "beta");
    FlagState custom = flagd.read("beta");
    assertThat(custom.rollout()).isEqualTo(Rollout.Custom.INSTANCE);
    FlagState otherRule = new FlagState("beta", true, Rollout.Custom.INSTANCE, custom.definition().replace("@example.com", "@corp.example"));

    assertThat(beta.matches(custom, flagd.read("beta"))).isTrue();
    assertThat(beta.matches(otherRule, custom)).isFalse();
    assertThat(beta.matches(FlagState.on("beta", Rollout.all()), custom)).isFalse();

    beta.apply(otherRule, FakeStepContext.create());
    assertThat(beta.matches(otherRule, flagd.read("beta"))).as("applied verbatim").isTrue();
  }

  @Test
  void unleashComparesCustomRulesWithoutTheStrategyIdsARestoreMayChange() {
    UnleashFlagStore unleash = UnleashFlagStore.builder(URI.create("http://127.0.0.1:1/"), "unused").build();
    String rule = """
        {"enabled":true,"strategies":[{"id":"%s","name":"flexibleRollout","disabled":false,
        "constraints":[{"contextName":"region","operator":"IN","values":["%s"]}],
        "parameters":{"rollout":"50","stickiness":"default","groupId":"beta"},"variants":[],"segments":[]}],
        "environmentVariants":[]}""";

    assertThat(unleash.sameRule("beta", rule.formatted("id-1", "eu"), rule.formatted("id-2", "eu"))).isTrue();
    assertThat(unleash.sameRule("beta", rule.formatted("id-1", "eu"), rule.formatted("id-1", "us"))).isFalse();
  }

  @Test
  void applyingWhatTheFlagAlreadyHasWritesNothing() throws Exception {
    FlagState held = store.read(FLAG);

    flag.apply(FlagState.on(FLAG, Rollout.percent(50)), FakeStepContext.create());
    flag.apply(held, FakeStepContext.create());

    assertThat(store.read(FLAG)).as("every write of the in-memory store holds a new state").isSameAs(held);
  }

  @Test
  void applyTurnsOffSetsARolloutOrRestoresACapturedStateVerbatim() throws Exception {
    store.define("theme", Map.of("blue", "#00f", "green", "#0f0", "off", "none"), "blue", "off", true,
        Rollout.weights("blue", 50, "green", 50));
    StateAdapter<FlagState> theme = FeatureFlags.flag(store, "theme");
    FlagState captured = store.read("theme");

    theme.apply(FlagState.off("theme"), FakeStepContext.create());
    assertThat(store.read("theme").enabled()).isFalse();
    theme.apply(FlagState.on("theme", Rollout.weights("green", 1)), FakeStepContext.create());
    assertThat(store.read("theme").rollout()).isEqualTo(Rollout.weights("green", 1));
    theme.apply(captured, FakeStepContext.create());
    assertThat(store.read("theme")).isEqualTo(captured);

    assertThatThrownBy(() -> theme.apply(FlagState.off(FLAG), FakeStepContext.create()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("flag 'new-checkout' cannot be applied to flag 'theme'");
  }

  @Test
  void settledIsOneRoundOfEvaluationsThroughTheCheckClient() throws Exception {
    StateAdapter<FlagState> checked = FeatureFlags.flag(store, FLAG, PropagationCheck.of(api.getClient()));
    FakeStepContext ctx = FakeStepContext.builder().withUndoSnapshot(store.read(FLAG).toSnapshot()).build();

    Settled notWritten = checked.settled(FlagState.off(FLAG), ctx);
    store.disable(FLAG);
    Settled written = checked.settled(FlagState.off(FLAG), FakeStepContext.create());

    assertThat(notWritten.state()).isEqualTo(Settled.State.NOT_YET);
    assertThat(notWritten.detail()).isEqualTo("flag 'new-checkout' in in-memory OpenFeature flags reads on at 50%");
    assertThat(written.isSettled()).as(written.detail()).isTrue();
    assertThat(written.detail()).startsWith("visible to the OpenFeature client (").contains("on/off answers");
    assertThat(ctx.sleeps()).isEmpty();
  }

  @Test
  void settledIsNotYetNamingTheUserWhileTheClientStillSeesTheOldStateWithoutWaiting() throws Exception {
    InMemoryFlagStore stale = InMemoryFlagStore.create().define(FLAG, Rollout.percent(50));
    OpenFeatureAPI staleApi = OpenFeatureAPI.createIsolated();
    staleApi.setProviderAndWait(stale.provider());
    try {
      StateAdapter<FlagState> checked = FeatureFlags.flag(store, FLAG, PropagationCheck.of(staleApi.getClient()));
      FakeStepContext ctx = FakeStepContext.builder().withUndoSnapshot(store.read(FLAG).toSnapshot()).build();
      store.disable(FLAG);

      Settled s = checked.settled(FlagState.off(FLAG), ctx);

      assertThat(s.state()).isEqualTo(Settled.State.NOT_YET);
      assertThat(s.detail()).startsWith("not yet visible to the OpenFeature client: user 'rollback-").endsWith("expected false");
      assertThat(ctx.sleeps()).isEmpty();
    } finally {
      staleApi.shutdown();
    }
  }

  @Test
  void describesAStateInAFewWords() {
    assertThat(flag.describe()).isEqualTo("flag 'new-checkout' in in-memory OpenFeature flags");
    assertThat(flag.describe(FlagState.off(FLAG))).isEqualTo("off");
    assertThat(flag.describe(FlagState.on(FLAG, Rollout.percent(10)))).isEqualTo("on at 10%");
    assertThat(flag.describe(FlagState.on(FLAG, Rollout.weights("v1", 100, "v2", 0)))).isEqualTo("weights v1=100,v2=0");
  }
}
