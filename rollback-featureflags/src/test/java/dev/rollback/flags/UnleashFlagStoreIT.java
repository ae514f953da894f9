package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RecordType;
import io.getunleash.DefaultUnleash;
import io.getunleash.UnleashContext;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
    server = UnleashServer.shared();
    store = UnleashFlagStore.builder(server.baseUrl, server.adminToken).build();
    unleash = server.sdk("rollback-it", "it-1");
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(new UnleashSdkProvider(unleash));
    client = api.getClient();
  }

  @AfterAll
  static void stopServer() {
    if (api != null) api.shutdown();
    if (unleash != null) unleash.shutdown();
    // the shared server stops when the JVM exits
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
  void aReplicaThatLosesItsLeaseBetweenTwoRequestsSendsNoMore() {
    String flag = flagAt(40);
    store.disable(flag);
    FlagState before = store.read(flag);
    List<String> eventsBefore = store.events(flag);
    // a rollout on a disabled flag is two requests: the strategy, then "turn on"; the lease is lost after the first
    int[] checks = {0};
    dev.rollback.StepLease losesAfterOneRequest = new dev.rollback.StepLease() {
      @Override public boolean isPresent() { return true; }
      @Override public String name() { return "rollback-guard-checkout@2.4.0"; }
      @Override public String holder() { return "pod-1"; }
      @Override public long token() { return 1; }
      @Override public boolean stillHeld() { return ++checks[0] <= 1; }
      @Override public String lostBecause() { return "taken over by pod-2 (fencing token 2)"; }
      @Override public <T> java.util.Optional<T> unwrap(Class<T> type) { return java.util.Optional.empty(); }
    };

    assertThatThrownBy(() -> store.setRollout(flag, Rollout.percent(10), losesAfterOneRequest))
        .isInstanceOf(dev.rollback.LeaseLostException.class).hasMessageContaining("taken over by pod-2");

    FlagState after = store.read(flag);
    assertThat(after.enabled()).as("the environment was not turned on after the lease was lost").isFalse();
    assertThat(store.events(flag).size() - eventsBefore.size()).as("writes after %s", before).isEqualTo(1);
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
          .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("settled on off after").contains("visible to the OpenFeature client"));
    }
    assertThat(store.events(flag)).anySatisfy(e -> assertThat(e).contains("feature-environment-disabled").contains("development"));
  }

  @Test
  void shiftsDownWithEachStepSeenByTheSdkBeforeItsGate() {
    String flag = flagAt(80);
    List<String> users = PropagationCheck.sampleUsers(300);
    List<Long> seenOn = new ArrayList<>();
    HealthCheck gate = HealthCheck.of("old path", () -> {
      seenOn.add(users.stream().filter(u -> client.getBooleanValue(flag, false, new ImmutableContext(u))).count());
      return HealthStatus.UP;
    });
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      RollbackResult result = engine.run(RollbackPlan.builder("p").step(FeatureFlags.using(store)
          .withPropagationCheck(check()).withGateTimeout(Duration.ofSeconds(5)).withGateInterval(Duration.ofMillis(50))
          .shiftDown(flag, gate, 50, 10, 0)).build(), DEPLOYMENT);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(seenOn).containsExactly(
        users.stream().filter(u -> Bucketing.unleash().isIn(flag, u, 50)).count(),
        users.stream().filter(u -> Bucketing.unleash().isIn(flag, u, 10)).count(),
        0L);
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
  void aPartialWriteReportsThePreviousStateAndWhatLandedAndNothingIsLost() throws Exception {
    String flag = flagAt(40);
    FlagState before = store.read(flag);
    // a target whose first writes are valid and whose last is refused by Unleash (400)
    com.fasterxml.jackson.databind.node.ObjectNode def = (com.fasterxml.jackson.databind.node.ObjectNode)
        new com.fasterxml.jackson.databind.ObjectMapper().readTree(before.definition().replace("\"rollout\":\"40\"", "\"rollout\":\"20\""));
    def.put("enabled", false);
    def.withArray("strategies").addObject().put("id", "x").put("name", "no-such-strategy").put("disabled", false)
        .<com.fasterxml.jackson.databind.node.ObjectNode>set("constraints", def.arrayNode()).set("parameters", def.objectNode());
    String bad = def.toString();
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

  // ---- variant weights

  /** A new flag whose flexibleRollout (100%) carries the given strategy variants, visible to the SDK. */
  private static String flagWithStrategyVariants(String variantsJson) throws Exception {
    String flag = "theme-v" + FLAGS.incrementAndGet();
    store.create(flag, "experiment");
    admin("POST", "api/admin/projects/default/features/" + flag + "/environments/development/strategies",
        "{\"name\":\"flexibleRollout\",\"constraints\":[],\"parameters\":{\"rollout\":\"100\",\"stickiness\":\"default\",\"groupId\":\""
            + flag + "\"},\"variants\":" + variantsJson + "}");
    admin("POST", "api/admin/projects/default/features/" + flag + "/environments/development/on", null);
    check().awaitVisible(store, store.read(flag));
    return flag;
  }

  /** A raw admin request, to set up what the store does not write itself (legacy data, payloads). */
  private static String admin(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(server.baseUrl.resolve(path)).header("Authorization", server.adminToken)
        .header("Content-Type", "application/json")
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = HttpClient.newHttpClient().send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isBetween(200, 299);
    return r.body();
  }

  private static final String THREE_VARIABLE = "[{\"name\":\"c\",\"weight\":0,\"weightType\":\"variable\",\"stickiness\":\"default\"},"
      + "{\"name\":\"a\",\"weight\":0,\"weightType\":\"variable\",\"stickiness\":\"default\",\"payload\":{\"type\":\"string\",\"value\":\"alpha\"}},"
      + "{\"name\":\"b\",\"weight\":0,\"weightType\":\"variable\",\"stickiness\":\"default\"}]";

  @Test
  void bucketingPredictsTheVariantTheSdkGivesEveryUserUnderStrategyVariants() {
    String flag = "theme-v" + FLAGS.incrementAndGet();
    store.create(flag, "experiment");
    store.setRollout(flag, Rollout.weights("red", 10, "green", 20, "blue", 70));
    FlagState state = store.read(flag);
    // per mille, in the order Unleash stores them (by name)
    assertThat(state.rollout()).isEqualTo(Rollout.weights("blue", 700, "green", 200, "red", 100));
    assertThat(((Rollout.Weights) state.rollout()).variants()).containsExactly("blue", "green", "red");
    check().awaitVisible(store, state);

    Rollout.Weights w = (Rollout.Weights) state.rollout();
    java.util.Map<String, Integer> counts = new java.util.HashMap<>();
    for (String u : PropagationCheck.sampleUsers(1000)) {
      String predicted = Bucketing.unleash().variant(flag, u, w);
      assertThat(unleash.getVariant(flag, UnleashContext.builder().userId(u).build()).getName()).as("SDK, user %s", u).isEqualTo(predicted);
      assertThat(client.getStringDetails(flag, "x", new ImmutableContext(u)).getVariant()).as("OpenFeature, user %s", u).isEqualTo(predicted);
      counts.merge(predicted, 1, Integer::sum);
    }
    assertThat(counts.get("blue")).isBetween(640, 760);
    assertThat(counts.get("green")).isBetween(150, 250);
    assertThat(counts.get("red")).isBetween(60, 140);
  }

  @Test
  void weightsStepSendsEveryoneToOneVariantKeepingPayloadsAndItsUndoRestoresTheRemainderExactly() throws Exception {
    // Unleash gave the remainder of 1000/3 to 'c', the first variable variant of the request
    String flag = flagWithStrategyVariants(THREE_VARIABLE);
    FlagState before = store.read(flag);
    assertThat(before.rollout()).isEqualTo(Rollout.weights("a", 333, "b", 333, "c", 334));

    InMemoryJournal journal = InMemoryJournal.create();
    FeatureFlags flags = FeatureFlags.using(store).withPropagationCheck(check());
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags.setRollout(flag, Rollout.weights("a", 100))).build(), DEPLOYMENT);
      assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
      assertThat(journal.read(result.runId()).records()).filteredOn(r -> r.is(RecordType.NOTE))
          .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("settled on weights a=100 after").contains("visible to the OpenFeature client")
              .contains("variants").contains("8 of them moved by the write"));
    }
    // b and c are kept at 0, a keeps its payload, and the SDK serves it to everyone
    assertThat(store.read(flag).rollout()).isEqualTo(Rollout.weights("a", 1000, "b", 0, "c", 0));
    for (String u : PropagationCheck.sampleUsers(200)) {
      var d = client.getStringDetails(flag, "x", new ImmutableContext(u));
      assertThat(d.getVariant()).isEqualTo("a");
      assertThat(d.getValue()).isEqualTo("alpha");
    }

    FlagState allOnA = store.read(flag);
    store.restore(before);
    assertThat(store.read(flag)).isEqualTo(before);
    assertThat(before.definition()).contains("\"name\":\"c\",\"weight\":334");
    PropagationCheck.Seen seen = check().awaitVisible(store, before, allOnA);
    assertThat(seen.variants()).isTrue();
    assertThat(seen.movedUsers()).isEqualTo(PropagationCheck.MOVERS);
  }

  @Test
  void featureEnvironmentVariantsAreReadPredictedShadowedByWeightsAndRestoredExactly() throws Exception {
    // a flag from before strategy variants: its variants live on the environment (Unleash 6 only keeps those it has)
    String flag = "legacy-v" + FLAGS.incrementAndGet();
    admin("POST", "api/admin/projects/default/features", "{\"name\":\"" + flag + "\",\"type\":\"experiment\",\"variants\":["
        + "{\"name\":\"x\",\"weight\":750,\"weightType\":\"variable\",\"stickiness\":\"default\",\"payload\":{\"type\":\"string\",\"value\":\"ex\"}},"
        + "{\"name\":\"y\",\"weight\":250,\"weightType\":\"fix\",\"stickiness\":\"default\"}]}");
    store.setRollout(flag, Rollout.all());
    FlagState before = store.read(flag);
    assertThat(before.rollout()).isEqualTo(Rollout.weights("x", 750, "y", 250));
    check().awaitVisible(store, before);
    Rollout.Weights w = (Rollout.Weights) before.rollout();
    for (String u : PropagationCheck.sampleUsers(300)) {
      assertThat(unleash.getVariant(flag, UnleashContext.builder().userId(u).build()).getName()).as(u)
          .isEqualTo(Bucketing.unleash().variant(flag, u, w));
    }

    // weights go on the strategy (it takes precedence), with x's payload from the environment variants
    store.setRollout(flag, Rollout.weights("y", 1));
    check().awaitVisible(store, store.read(flag), before);
    assertThat(client.getStringDetails(flag, "?", new ImmutableContext("rollback-probe-3")).getVariant()).isEqualTo("y");
    // someone edits the environment variants too
    admin("PUT", "api/admin/projects/default/features/" + flag + "/environments/development/variants",
        "[{\"name\":\"z\",\"weight\":1000,\"weightType\":\"variable\",\"stickiness\":\"default\"}]");

    store.restore(before);

    assertThat(store.read(flag)).isEqualTo(before);
    assertThat(check().awaitVisible(store, before)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void badWeightsAreRefusedNamingTheFlagAndVariantAndNothingIsWritten() throws Exception {
    String flag = flagWithStrategyVariants(THREE_VARIABLE);
    FlagState before = store.read(flag);

    assertThatThrownBy(() -> store.setRollout(flag, Rollout.weights("a", 50, "purple", 50)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flag '" + flag + "'").hasMessageContaining("no variant 'purple'").hasMessageContaining("[a, b, c]");
    assertThatThrownBy(() -> store.setRollout(flag, Rollout.weights("a", 1, "b", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flag '" + flag + "'").hasMessageContaining("add up to 3").hasMessageContaining("1000");
    assertThatThrownBy(() -> store.setRollout(flag, Rollout.weights("a b", 100)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("variant 'a b' of flag '" + flag + "'");
    assertThat(store.read(flag)).isEqualTo(before);
    assertThat(store.events(flag)).noneSatisfy(e -> assertThat(e).contains("feature-strategy-update"));

    assertThatThrownBy(() -> store.setRollout("no-such-flag", Rollout.weights("a", 100)))
        .isInstanceOf(UnknownFlagException.class).hasMessageContaining("'no-such-flag'");
  }

  @Test
  void unleashRefusesToCreateFeatureEnvironmentVariantsAndTheErrorSaysWhyNotTheToken() {
    String flag = flagAt(30);
    FlagState before = store.read(flag);
    FlagState withEnvVariants = new FlagState(flag, true, before.rollout(), before.definition()
        .replace("\"variants\":[]}", "\"variants\":[{\"name\":\"x\",\"weight\":1000,\"weightType\":\"variable\",\"stickiness\":\"default\"}]}"));
    assertThat(withEnvVariants.definition()).isNotEqualTo(before.definition());

    assertThatThrownBy(() -> store.restore(withEnvVariants))
        .isInstanceOfSatisfying(FlagWriteException.class, e -> assertThat(e.status()).isEqualTo(403))
        .hasMessageContaining("Environment variants deprecated").hasMessageNotContaining("admin token");
    assertThat(store.read(flag)).isEqualTo(before);
  }

  @Test
  void aWeightsCheckThatNeverSeesItsStateFailsNamingTheUserAndTheVariant() throws Exception {
    String flag = flagWithStrategyVariants(THREE_VARIABLE);
    FlagState now = store.read(flag);
    FlagState neverWritten = new FlagState(flag, true, Rollout.weights("a", 100, "b", 800, "c", 100), now.definition());
    PropagationCheck quick = PropagationCheck.of(client).withTimeout(Duration.ofMillis(1500));
    assertThatThrownBy(() -> quick.awaitVisible(store, neverWritten, now))
        .isInstanceOf(PropagationTimeoutException.class)
        .hasMessageContaining("not visible to the OpenFeature client after 1500 ms")
        .hasMessageContaining("user 'rollback-").hasMessageContaining("expected variant '");
  }
}
