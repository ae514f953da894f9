package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.ImmutableContext;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.RunHistory;
import dev.rollback.test.Fault;
import dev.rollback.test.FaultProxy;
import dev.rollback.test.RollbackAssertions;
import io.getunleash.DefaultUnleash;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection on a real unleash-server: the rollback's admin API calls go through a
 * {@link FaultProxy} that takes Unleash down (every connection closed, the open ones included) or
 * answers 503 when the kill switch writes, after it read the flag — in the middle of the kill
 * switch. The SDK and the checks of what the server holds talk to Unleash directly.
 */
class UnleashFaultIT {
  private static final Duration HANG_GUARD = Duration.ofMinutes(2);
  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private static final AtomicInteger FLAGS = new AtomicInteger();
  private static UnleashServer server;
  private static UnleashFlagStore direct;
  private static DefaultUnleash unleash;
  private static OpenFeatureAPI api;
  private static Client client;

  private FaultProxy proxy;
  private UnleashFlagStore throughProxy;

  @BeforeAll
  static void startServer() throws Exception {
    server = UnleashServer.shared();
    direct = UnleashFlagStore.builder(server.baseUrl, server.adminToken).build();
    unleash = server.sdk("rollback-fault-it", "it-faults");
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(new UnleashSdkProvider(unleash));
    client = api.getClient();
  }

  @AfterAll
  static void stopClients() {
    if (api != null) api.shutdown();
    if (unleash != null) unleash.shutdown();
  }

  @BeforeEach
  void startProxy() throws Exception {
    proxy = FaultProxy.http(server.baseUrl.getPort());
    String path = server.baseUrl.getPath();
    throughProxy = UnleashFlagStore.builder(URI.create(proxy.uri() + (path.isEmpty() ? "/" : path)), server.adminToken)
        .withRequestTimeout(Duration.ofSeconds(5)).build();
  }

  @AfterEach
  void stopProxy() {
    proxy.close();
  }

  private static PropagationCheck check() {
    return PropagationCheck.of(client).withTimeout(Duration.ofSeconds(30)).withPollInterval(Duration.ofMillis(20));
  }

  /** A new flag on for everyone, already visible to the SDK. */
  private static String flagOn() {
    String flag = "fault-v" + FLAGS.incrementAndGet();
    direct.create(flag, "kill-switch");
    direct.setRollout(flag, Rollout.percent(100));
    check().awaitVisible(direct, direct.read(flag));
    return flag;
  }

  private RollbackPlan killSwitch(String flag, Retry retry) {
    return RollbackPlan.builder("kill " + flag)
        .sequential("flags", s -> s.step(FeatureFlags.using(throughProxy).withPropagationCheck(check()).killSwitch(flag)
            .toBuilder().withRetry(retry).build()))
        .build();
  }

  private static Fault onWrites(Fault fault) {
    return fault.matching("admin writes", r -> !r.method().equals("GET"));
  }

  private static boolean seenOnBySdk(String flag) {
    return client.getBooleanValue(flag, false, new ImmutableContext("user-1"));
  }

  @Test
  void unleashDownMidKillSwitchHaltsAtAGateWithTheFlagUntouchedAndResumeTurnsItOff() throws Exception {
    String flag = flagOn();
    RollbackPlan plan = killSwitch(flag, Retry.none());
    InMemoryJournal journal = InMemoryJournal.create();
    proxy.inject(onWrites(Fault.close()));
    String runId;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withReason("fault test"));
      runId = run.runId();
      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.question()).contains("kill switch " + flag, "127.0.0.1:" + proxy.port());
      run.answer(gate.id(), Decision.HALT, "sre");
      RollbackResult halted = run.await(HANG_GUARD);
      assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
    }
    assertThat(proxy.applied()).isGreaterThanOrEqualTo(1);
    // nothing half-done on the server: the flag is as it was, and the SDK still sees it on
    assertThat(direct.read(flag).enabled()).isTrue();
    assertThat(direct.read(flag).rollout()).isEqualTo(Rollout.percent(100));
    assertThat(seenOnBySdk(flag)).isTrue();
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);

    proxy.heal();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun resumed = engine.resume(runId, plan);
      GateRequest again = resumed.awaitGate(HANG_GUARD);
      resumed.answer(again.id(), Decision.RETRY, "sre");
      assertThat(resumed.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(direct.read(flag).enabled()).isFalse();
    assertThat(seenOnBySdk(flag)).isFalse();
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);
    assertThat(RunHistory.of(journal.read(runId)).outcome()).contains("RECOVERED");
  }

  @Test
  void unleashAnswering503MidKillSwitchIsRetriedAndTheSameRunTurnsTheFlagOff() throws Exception {
    String flag = flagOn();
    InMemoryJournal journal = InMemoryJournal.create();
    proxy.inject(onWrites(Fault.status(503, "text/plain", "Service Unavailable")).times(2));
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      result = engine.run(killSwitch(flag, Retry.times(3)), DEPLOYMENT);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(proxy.applied()).isEqualTo(2);
    assertThat(direct.read(flag).enabled()).isFalse();
    assertThat(seenOnBySdk(flag)).isFalse();
    RollbackAssertions.assertThat(journal).hasIntactRun(result.runId());
    assertThat(RunHistory.of(journal.read(result.runId())).steps().get(0).attempts()).isEqualTo(3);
  }
}
