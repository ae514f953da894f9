package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Deployment;
import dev.rollback.HealthCheck;
import dev.rollback.HealthStatus;
import dev.rollback.RollbackEngine;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RecordType;
import io.getunleash.DefaultUnleash;
import io.getunleash.UnleashContext;
import io.getunleash.util.UnleashConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Unleash store against a real unleash-server on PostgreSQL 15, observed through the Unleash
 * Java SDK (polling every second) behind OpenFeature.
 */
class UnleashFlagStoreIT {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private static final AtomicInteger FLAGS = new AtomicInteger();
  private static UnleashServer server;
  private static UnleashFlagStore store;
  private static DefaultUnleash unleash;
  private static OpenFeatureAPI api;
  private static Client client;

  @BeforeAll
  static void startServer() throws Exception {
    server = UnleashServer.start();
    store = UnleashFlagStore.builder(server.baseUrl, server.adminToken).build();
    unleash = new DefaultUnleash(UnleashConfig.builder()
        .appName("rollback-it").instanceId("it-1")
        .unleashAPI(server.baseUrl.resolve("api/").toString())
        .apiKey(server.clientToken)
        .fetchTogglesInterval(1)
        .disableMetrics()
        .synchronousFetchOnInitialisation(true)
        .build());
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(new UnleashSdkProvider(unleash));
    client = api.getClient();
  }

  @AfterAll
  static void stopServer() {
    if (api != null) api.shutdown();
    if (unleash != null) unleash.shutdown();
    if (server != null) server.close();
  }

  private static PropagationCheck check() {
    return PropagationCheck.of(client).withTimeout(Duration.ofSeconds(30)).withPollInterval(Duration.ofMillis(20));
  }

  /** A new flag on at {@code percent}, already visible to the SDK. */
  private static String flagAt(int percent) {
    String flag = "checkout-v" + FLAGS.incrementAndGet();
    store.create(flag, "kill-switch");
    store.setRollout(flag, Rollout.percent(percent));
    check().awaitVisible(store, store.read(flag));
    return flag;
  }

  @Test
  void bucketingPredictsEveryUserTheSdkEnablesAtAPercentage() {
    String flag = flagAt(37);
    int on = 0;
    for (String u : PropagationCheck.sampleUsers(1000)) {
      boolean got = unleash.isEnabled(flag, UnleashContext.builder().userId(u).build(), false);
      assertThat(got).as("user %s", u).isEqualTo(Bucketing.unleash().isIn(flag, u, 37));
      if (got) on++;
    }
    assertThat(on).isBetween(300, 440);
  }

  @Test
  void killSwitchIsSeenByTheSdkAndJournaledWithItsPropagationTime() {
    String flag = flagAt(50);
    InMemoryJournal journal = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult result = engine.run(RollbackPlan.builder("p")
          .step(FeatureFlags.using(store).withPropagationCheck(check()).killSwitch(flag)).build(), DEPLOYMENT);

      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      for (String u : PropagationCheck.sampleUsers(200)) {
        assertThat(client.getBooleanValue(flag, true, new ImmutableContext(u))).isFalse();
      }
      assertThat(journal.read(result.runId()).records()).filteredOn(r -> r.is(RecordType.NOTE))
          .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("turned off").contains("visible to the OpenFeature client after"));
    }
    assertThat(store.events(flag)).anySatisfy(e -> assertThat(e).contains("feature-environment-disabled").contains("development"));
  }

  @Test
  void shiftsDownWithEachStepSeenByTheSdkBeforeTheGate() {
    String flag = flagAt(80);
    List<String> users = PropagationCheck.sampleUsers(300);
    List<Long> seenOn = new ArrayList<>();
    HealthCheck gate = HealthCheck.of("old path", () -> {
      seenOn.add(users.stream().filter(u -> client.getBooleanValue(flag, false, new ImmutableContext(u))).count());
      return HealthStatus.UP;
    });
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      RollbackResult result = engine.run(RollbackPlan.builder("p").step(FeatureFlags.using(store)
          .withPropagationCheck(check()).withGate(Duration.ofSeconds(5), Duration.ofMillis(50))
          .shiftDown(flag, gate, 50, 10, 0)).build(), DEPLOYMENT);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(seenOn).containsExactly(
        users.stream().filter(u -> Bucketing.unleash().isIn(flag, u, 50)).count(),
        users.stream().filter(u -> Bucketing.unleash().isIn(flag, u, 10)).count());
    assertThat(store.read(flag).rollout()).isEqualTo(Rollout.percent(0));
  }

  @Test
  void restoresStrategiesAndSwitchExactlyAsCaptured() {
    String flag = flagAt(25);
    FlagState before = store.read(flag);
    store.setRollout(flag, Rollout.percent(90));
    store.disable(flag);
    assertThat(store.read(flag).enabled()).isFalse();

    store.restore(before);

    assertThat(store.read(flag)).isEqualTo(before);
    assertThat(check().awaitVisible(store, before)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void anUnknownFlagIsReportedByNameFromThe404() {
    assertThatThrownBy(() -> store.disable("no-such-flag"))
        .isInstanceOf(UnknownFlagException.class)
        .hasMessageContaining("'no-such-flag'").hasMessageContaining("project 'default'");
    assertThatThrownBy(() -> store.read("no-such-flag")).isInstanceOf(UnknownFlagException.class);
  }

  @Test
  void aWrongTokenIsReportedAs401WithoutShowingTheToken() {
    UnleashFlagStore wrong = UnleashFlagStore.builder(server.baseUrl, "*:*.not-the-token").build();
    assertThatThrownBy(() -> wrong.read("anything"))
        .isInstanceOfSatisfying(FlagWriteException.class, e -> assertThat(e.status()).isEqualTo(401))
        .hasMessageContaining("admin token").hasMessageNotContaining("not-the-token");
    assertThat(wrong.toString()).doesNotContain("not-the-token");
  }

  @Test
  void creatingAnExistingFlagIsReportedAs409() {
    String flag = flagAt(5);
    assertThatThrownBy(() -> store.create(flag, "release"))
        .isInstanceOfSatisfying(FlagWriteException.class, e -> assertThat(e.status()).isEqualTo(409))
        .hasMessageContaining("already exists");
  }

  @Test
  void aPartialWriteReportsThePreviousStateAndWhatLandedAndNothingIsLost() {
    String flag = flagAt(40);
    FlagState before = store.read(flag);
    // a target whose first writes are valid and whose last is refused by Unleash (400)
    String bad = before.definition().replace("\"enabled\":true", "\"enabled\":false").replace("\"rollout\":\"40\"", "\"rollout\":\"20\"")
        .replace("]}", ",{\"id\":\"x\",\"name\":\"no-such-strategy\",\"disabled\":false,\"constraints\":[],\"parameters\":{}}]}");
    FlagState target = new FlagState(flag, false, Rollout.Custom.INSTANCE, bad);

    assertThatThrownBy(() -> store.restore(target))
        .isInstanceOfSatisfying(PartialWriteException.class, e -> {
          assertThat(e.previous()).isEqualTo(before);
          assertThat(e.applied()).contains("environment 'development' off");
          assertThat(e.getMessage()).contains("no-such-strategy").contains("400").contains("on, rollout 40%");
        });
    assertThat(store.read(flag).enabled()).isFalse();

    store.restore(before);
    assertThat(store.read(flag)).isEqualTo(before);
  }

  @Test
  void refusesVariantWeightsBecauseFlexibleRolloutHasOnlyAPercentage() {
    String flag = flagAt(5);
    assertThatThrownBy(() -> store.setRollout(flag, Rollout.weights("a", 1, "b", 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("takes a percentage");
  }
}
