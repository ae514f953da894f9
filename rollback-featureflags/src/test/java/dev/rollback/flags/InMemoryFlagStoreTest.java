package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.detect.HealthStatus;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class InMemoryFlagStoreTest {
  private final InMemoryFlagStore store = InMemoryFlagStore.create().define("new-checkout", Rollout.percent(30));
  private final OpenFeatureAPI api = isolated();
  private final Client client;

  InMemoryFlagStoreTest() {
    api.setProviderAndWait(store.provider());
    client = api.getClient();
  }

  private static OpenFeatureAPI isolated() {
    return OpenFeatureAPI.createIsolated();
  }

  @AfterEach
  void shutdown() {
    api.shutdown();
  }

  @Test
  void servesAPercentageBucketedLikeFlagd() {
    List<String> users = PropagationCheck.sampleUsers(500);
    long on = 0;
    for (String u : users) {
      boolean got = client.getBooleanValue("new-checkout", false, new ImmutableContext(u));
      assertThat(got).as(u).isEqualTo(Bucketing.flagd().isIn("new-checkout", u, 30));
      if (got) on++;
    }
    assertThat(on).isBetween(100L, 200L);
  }

  @Test
  void killSwitchTurnsTheFlagOffForEveryone() {
    store.disable("new-checkout");
    assertThat(store.read("new-checkout").enabled()).isFalse();
    for (String u : PropagationCheck.sampleUsers(100)) {
      assertThat(client.getBooleanValue("new-checkout", true, new ImmutableContext(u))).isFalse();
    }
  }

  @Test
  void restoresACapturedStateExactly() {
    FlagState before = store.read("new-checkout");
    store.setRollout("new-checkout", Rollout.percent(90));
    store.disable("new-checkout");
    store.restore(before);
    assertThat(store.read("new-checkout")).isEqualTo(before);
    assertThat(client.getBooleanValue("new-checkout", false, new ImmutableContext("u1")))
        .isEqualTo(Bucketing.flagd().isIn("new-checkout", "u1", 30));
  }

  @Test
  void servesVariantWeightsOfAFlagWithItsOwnVariants() {
    store.define("theme", Map.of("blue", "blue", "green", "green", "none", "none"), "green", "none", true,
        Rollout.weights("blue", 50, "green", 50));
    for (String u : PropagationCheck.sampleUsers(50)) {
      assertThat(client.getStringValue("theme", "x", new ImmutableContext(u)))
          .isEqualTo(Bucketing.flagd().variant("theme", u, Rollout.weights("blue", 50, "green", 50)));
    }
    store.disable("theme");
    assertThat(client.getStringValue("theme", "x", new ImmutableContext("u"))).isEqualTo("none");
  }

  @Test
  void refusesAnUnknownFlagNamingTheKnownOnes() {
    assertThatThrownBy(() -> store.disable("nope"))
        .isInstanceOf(UnknownFlagException.class)
        .hasMessageContaining("'nope'").hasMessageContaining("new-checkout");
  }

  @Test
  void refusesWeightsForAVariantTheFlagDoesNotHave() {
    assertThatThrownBy(() -> store.setRollout("new-checkout", Rollout.weights("purple", 1)))
        .hasMessageContaining("no variant 'purple'");
  }

  @Test
  void aHealthCheckReportsWhetherClientsSeeTheStoresState() {
    var check = PropagationCheck.of(client).asHealthCheck(store, "new-checkout");
    assertThat(check.check().status()).isEqualTo(dev.rollback.detect.HealthStatus.UP);
    store.disable("new-checkout");
    assertThat(check.check().detail()).contains("see flag 'new-checkout' off");

    InMemoryFlagStore elsewhere = InMemoryFlagStore.create().define("new-checkout", Rollout.all());
    OpenFeatureAPI other = OpenFeatureAPI.createIsolated();
    try {
      other.setProviderAndWait(elsewhere.provider());
      var stale = PropagationCheck.of(other.getClient()).asHealthCheck(store, "new-checkout");
      var health = stale.check();
      assertThat(health.status()).isEqualTo(dev.rollback.detect.HealthStatus.DOWN);
      assertThat(health.detail()).contains("gets true").contains("expected false");
      assertThat(PropagationCheck.of(client).asHealthCheck(store, "nope").check().detail()).contains("'nope'");
    } finally {
      other.shutdown();
    }
  }

  @Test
  void givesUsersWithoutATargetingKeyTheSafePath() {
    assertThat(client.getBooleanValue("new-checkout", true, new ImmutableContext())).isFalse();
  }
}
