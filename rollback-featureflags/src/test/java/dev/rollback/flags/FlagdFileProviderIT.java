package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.contrib.providers.flagd.Config;
import dev.openfeature.contrib.providers.flagd.FlagdOptions;
import dev.openfeature.contrib.providers.flagd.FlagdProvider;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The flagd file store observed through the real flagd Java provider in FILE mode. */
class FlagdFileProviderIT {
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private static final int POLL_MS = 100;

  @TempDir Path dir;
  private OpenFeatureAPI api;
  private Client client;
  private FlagdFileStore store;
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build();

  private void start(String content) throws Exception {
    Path file = dir.resolve("flags.json");
    Files.writeString(file, content);
    store = FlagdFileStore.of(file);
    FlagdProvider provider = new FlagdProvider(FlagdOptions.builder()
        .resolverType(Config.Resolver.FILE)
        .offlineFlagSourcePath(file.toString())
        .offlinePollIntervalMs(POLL_MS)
        .deadline(15_000)
        .build());
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(provider);
    client = api.getClient();
  }

  @AfterEach
  void stop() {
    engine.close();
    if (api != null) api.shutdown();
  }

  private FeatureFlags flags() {
    return FeatureFlags.using(store)
        .withPropagationCheck(PropagationCheck.of(client).withTimeout(Duration.ofMinutes(1)))
        .withGateTimeout(Duration.ofSeconds(5)).withGateInterval(Duration.ofMillis(20));
  }

  @Test
  void bucketingPredictsEveryUserTheProviderPutsInAPercentage() throws Exception {
    start(FlagdFileStoreTest.FLAGS);
    List<String> users = PropagationCheck.sampleUsers(2000);
    int on = 0;
    for (String u : users) {
      boolean got = client.getBooleanValue("new-checkout", false, new ImmutableContext(u));
      assertThat(got).as("user %s", u).isEqualTo(Bucketing.flagd().isIn("new-checkout", u, 10));
      if (got) on++;
    }
    assertThat(on).isBetween(140, 260);
  }

  @Test
  void bucketingPredictsTheVariantOfEveryUserUnderWeights() throws Exception {
    start("""
        {"flags": {"theme": {"state": "ENABLED", "variants": {"blue": "b", "green": "g", "red": "r"},
          "defaultVariant": "blue", "targeting": {"fractional": [["blue", 5], ["green", 3], ["red", 2]]}}}}
        """);
    Rollout.Weights w = (Rollout.Weights) store.read("theme").rollout();
    assertThat(w).isEqualTo(Rollout.weights("blue", 5, "green", 3, "red", 2));
    for (String u : PropagationCheck.sampleUsers(1000)) {
      String value = client.getStringValue("theme", "x", new ImmutableContext(u));
      assertThat(value).as(u).isEqualTo(Bucketing.flagd().variant("theme", u, w).substring(0, 1));
    }
  }

  @Test
  void aWriteUnderALeaseRecordsItsTokenAndAStaleHolderIsRefusedWhileTheProviderServesTheNewerWrite() throws Exception {
    start(FlagdFileStoreTest.FLAGS);
    dev.rollback.test.FakeStepLease stale = dev.rollback.test.FakeStepLease.held("rollback-guard-checkout@2.4.0", "pod-1", 1);
    dev.rollback.test.FakeStepLease current = dev.rollback.test.FakeStepLease.held("rollback-guard-checkout@2.4.0", "pod-2", 2);

    store.disable("new-checkout", current); // the replica that took the lease over kills the feature
    byte[] afterTakeover = Files.readAllBytes(store.file());
    // the replica that held token 1 has not noticed yet (its lease reads as held) and turns it back on
    assertThatThrownBy(() -> store.setRollout("new-checkout", Rollout.percent(50), stale))
        .isInstanceOf(dev.rollback.LeaseLostException.class)
        .hasMessageContaining("was written under fencing token 2");

    assertThat(Files.readAllBytes(store.file())).as("the flag file after the refused write").isEqualTo(afterTakeover);
    assertThat(Files.readString(store.file())).contains("\"rollback.fencingToken.rollback-guard-checkout@2.4.0\" : 2");
    org.awaitility.Awaitility.await("the provider serves the kill switch").atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> {
          for (String u : PropagationCheck.sampleUsers(200)) {
            var d = client.getBooleanDetails("new-checkout", true, new ImmutableContext(u));
            assertThat(d.getValue()).as(u).isFalse();
            assertThat(d.getErrorCode()).as("the file with its metadata must read without error").isNull();
          }
        });
  }

  @Test
  void killSwitchReachesTheProviderWithinItsFilePollAndIsJournaled() throws Exception {
    start(FlagdFileStoreTest.FLAGS);
    RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags().killSwitch("new-checkout")).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    for (String u : PropagationCheck.sampleUsers(300)) {
      var d = client.getBooleanDetails("new-checkout", true, new ImmutableContext(u));
      assertThat(d.getValue()).isFalse();
      assertThat(d.getErrorCode()).as("a kill switch must not read as an evaluation error").isNull();
    }
    assertThat(journal.read(result.runId()).records()).filteredOn(r -> r.is(RecordType.NOTE))
        .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("settled on off after")
            .contains("visible to the OpenFeature client"));
  }

  @Test
  void shiftsDownFiftyTenZeroWithEachStepSeenByTheProvider() throws Exception {
    start(FlagdFileStoreTest.FLAGS.replace("[\"on\", 10], [\"off\", 90]", "[\"on\", 60], [\"off\", 40]"));
    List<String> users = PropagationCheck.sampleUsers(400);
    List<Integer> seenOn = new java.util.ArrayList<>();
    HealthCheck gate = HealthCheck.of("old path", () -> {
      int on = 0;
      for (String u : users) if (client.getBooleanValue("new-checkout", false, new ImmutableContext(u))) on++;
      seenOn.add(on);
      return HealthStatus.UP;
    });
    RollbackResult result = engine.run(RollbackPlan.builder("p")
        .step(flags().shiftDown("new-checkout", gate, 50, 10, 0)).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(seenOn).containsExactly(
        (int) users.stream().filter(u -> Bucketing.flagd().isIn("new-checkout", u, 50)).count(),
        (int) users.stream().filter(u -> Bucketing.flagd().isIn("new-checkout", u, 10)).count(),
        0);
    for (String u : users) assertThat(client.getBooleanValue("new-checkout", true, new ImmutableContext(u))).isFalse();
  }

  @Test
  void undoOfAKillSwitchRestoresTheCapturedRuleAndTheProviderServesItAgain() throws Exception {
    start(FlagdFileStoreTest.FLAGS);
    FlagState before = store.read("new-checkout");
    store.disable("new-checkout");
    // the check's timeout only guards against a hang: awaitVisible returns when the provider serves the state
    PropagationCheck check = PropagationCheck.of(client).withTimeout(Duration.ofMinutes(1));
    check.awaitVisible(store, store.read("new-checkout"));

    store.restore(before);
    Duration took = check.awaitVisible(store, before);

    assertThat(took).isLessThan(Duration.ofMinutes(1));
    assertThat(client.getBooleanValue("new-checkout", false, new ImmutableContext("rollback-probe-1")))
        .isEqualTo(Bucketing.flagd().isIn("new-checkout", "rollback-probe-1", 10));
  }

  @Test
  void aPropagationCheckThatNeverSeesTheStateFailsNamingTheUser() throws Exception {
    start(FlagdFileStoreTest.FLAGS);
    FlagState neverWritten = new FlagState("new-checkout", false, Rollout.all(), "{}");
    PropagationCheck check = PropagationCheck.of(client).withTimeout(Duration.ofMillis(300));
    assertThatThrownBy(() -> check.awaitVisible(store, neverWritten))
        .isInstanceOf(PropagationTimeoutException.class)
        .hasMessageContaining("not visible to the OpenFeature client after 300 ms")
        .hasMessageContaining("user 'rollback-").hasMessageContaining("expected false");
  }

  private static final String THEME = """
      {"flags": {"theme": {"state": "ENABLED", "variants": {"blue": "b", "green": "g", "red": "r"},
        "defaultVariant": "blue", "targeting": {"fractional": [["blue", 5], ["green", 3], ["red", 2]]}}}}
      """;

  @Test
  void aWeightsStepIsSeenByTheProviderForTheUsersItMovesAndIsJournaled() throws Exception {
    start(THEME);
    FlagState before = store.read("theme");
    Rollout.Weights w = Rollout.weights("blue", 1, "green", 1, "red", 8);

    RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags().setRollout("theme", w)).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(journal.read(result.runId()).records()).filteredOn(r -> r.is(RecordType.NOTE))
        .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("settled on weights blue=1,green=1,red=8 after")
            .contains("visible to the OpenFeature client").contains("variants, 8 of them moved by the write"));
    for (String u : PropagationCheck.sampleUsers(1000)) {
      assertThat(client.getStringValue("theme", "x", new ImmutableContext(u))).as(u)
          .isEqualTo(Bucketing.flagd().variant("theme", u, w).substring(0, 1));
    }

    FlagState after = store.read("theme");
    store.restore(before);
    PropagationCheck.Seen seen = PropagationCheck.of(client).withTimeout(Duration.ofMinutes(1)).awaitVisible(store, before, after);
    assertThat(seen.movedUsers()).isEqualTo(PropagationCheck.MOVERS);
    assertThat(store.read("theme")).isEqualTo(before);
  }

  @Test
  void aWeightsCheckThatNeverSeesItsStateFailsNamingTheUserAndTheVariantValue() throws Exception {
    start(THEME);
    FlagState now = store.read("theme");
    FlagState neverWritten = new FlagState("theme", true, Rollout.weights("red", 1), now.definition());
    PropagationCheck check = PropagationCheck.of(client).withTimeout(Duration.ofMillis(300));
    assertThatThrownBy(() -> check.awaitVisible(store, neverWritten, now))
        .isInstanceOf(PropagationTimeoutException.class)
        .hasMessageContaining("user 'rollback-").hasMessageContaining("expected variant 'red' value 'r'");
  }

  @Test
  void weightsNamingAVariantTheFlagDoesNotHaveAreRefusedAndTheFileIsUntouched() throws Exception {
    start(THEME);
    String content = Files.readString(store.file());
    assertThatThrownBy(() -> store.setRollout("theme", Rollout.weights("blue", 1, "purple", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flag 'theme'").hasMessageContaining("no variant 'purple'").hasMessageContaining("[blue, green, red]");
    assertThat(Files.readString(store.file())).isEqualTo(content);
  }

  private static final String BANNER = """
      {"flags": {"banner": {"state": "ENABLED", "variants": {"new": "N", "old": "O"},
        "defaultVariant": "old", "targeting": {"fractional": [["new", 50], ["old", 50]]}}}}
      """;

  @Test
  void onAStringFlagTheCheckComparesTheOnAndOffValuesNotAFailedBooleanEvaluation() throws Exception {
    start(BANNER);
    store = store.withVariants("banner", "new", "old");
    FlagState now = store.read("banner");
    assertThat(now.rollout()).isEqualTo(Rollout.percent(50));
    // a boolean evaluation of this flag is a TYPE_MISMATCH answering the default false: the check
    // must not take that for "off"
    FlagState neverWritten = new FlagState("banner", false, Rollout.all(), now.definition());
    PropagationCheck quick = PropagationCheck.of(client).withTimeout(Duration.ofMillis(300));
    assertThatThrownBy(() -> quick.awaitVisible(store, neverWritten))
        .isInstanceOf(PropagationTimeoutException.class).hasMessageContaining("expected variant off value 'O'");

    RollbackResult result = engine.run(RollbackPlan.builder("p").step(flags().setRollout("banner", Rollout.percent(20)))
        .step(flags().killSwitch("banner")).build(), DEPLOYMENT);

    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    for (String u : PropagationCheck.sampleUsers(300)) {
      assertThat(client.getStringValue("banner", "x", new ImmutableContext(u))).isEqualTo("O");
    }
    assertThat(journal.read(result.runId()).records()).filteredOn(r -> r.is(RecordType.NOTE))
        .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("settled on on at 20% after").contains("visible to the OpenFeature client"))
        .anySatisfy(r -> assertThat(r.stringOr("message", "")).contains("settled on off after").contains("visible to the OpenFeature client"));
  }
}
