package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.KnownGood;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Observations;
import dev.rollback.detect.Signal;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import dev.rollback.lb.LoadGenerator.Response;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.FakeStepContext;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real HAProxy 2.6 (Debian) in front of two real HTTP backends, all on loopback. */
class HaproxyRouterIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static TestBackend v1;
  static TestBackend v2;
  static RollbackEngine engine;

  @TempDir Path dir;
  HaproxyProcess haproxy;
  HaproxyRouter router;

  @BeforeAll
  static void startBackends() throws IOException {
    v1 = TestBackend.start("v1");
    v2 = TestBackend.start("v2");
    engine = RollbackEngine.builder().build();
  }

  @AfterAll
  static void stopBackends() {
    engine.close();
    v1.close();
    v2.close();
  }

  @AfterEach
  void stopHaproxy() throws InterruptedException {
    v2.failBusinessRequests(false);
    if (haproxy != null) haproxy.close();
  }

  private void start(int w1, int w2) throws IOException {
    haproxy = HaproxyProcess.start(dir, HaproxyProcess.servers(v1, v2), Map.of("v1", w1, "v2", w2));
    router = HaproxyRouter.unixSocket(haproxy.socket());
    await("both servers UP in haproxy").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
        .until(() -> router.read("app").servers().values().stream().allMatch(r -> r.operational() == Operational.UP));
  }

  private static RoutingState state(ServerRoute r1, ServerRoute r2) {
    return RoutingState.of("app", Map.of("v1", r1, "v2", r2));
  }

  @Test
  void readsWeightAdminStateAndHealthOfEachServer() throws IOException {
    start(100, 0);

    RoutingState s = router.read("app");

    assertThat(s.servers()).containsOnlyKeys("v1", "v2");
    assertThat(s.server("v1")).isEqualTo(new ServerRoute(100, AdminState.READY, Operational.UP));
    assertThat(s.server("v2")).isEqualTo(new ServerRoute(0, AdminState.READY, Operational.UP));
    assertThat(s.serving()).containsExactly("v1");
  }

  @Test
  void theTcpRuntimeApiReadsAndChangesTheSameState() throws IOException {
    start(100, 0);
    HaproxyRouter tcp = HaproxyRouter.tcp("127.0.0.1", haproxy.adminPort());

    tcp.apply(state(ServerRoute.ready(30), ServerRoute.ready(70)), Cutover.drain());

    assertThat(router.read("app").server("v2").weight()).isEqualTo(70);
    assertThat(tcp.name()).isEqualTo("haproxy tcp:127.0.0.1:" + haproxy.adminPort());
  }

  @Test
  void blueGreenRollbackUnderLoadLosesNoRequestAndEndsOnTheKnownGoodRouting() throws Exception {
    start(100, 0);
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .sequential("traffic", s -> s.step(Traffic.restoreKnownGood(router, "app")))
        .verifiedBy(Traffic.routedAs(router, state(ServerRoute.ready(100), ServerRoute.ready(0))),
            Traffic.probe("checkout through haproxy", URI.create("http://127.0.0.1:" + haproxy.frontendPort() + "/"), Duration.ofSeconds(10)))
        .build();
    Deployment deployment = Deployment.of("checkout", "2.4.0");
    KnownGood knownGood = engine.captureKnownGood(plan, deployment);
    // the release puts all traffic on v2
    router.apply(state(ServerRoute.of(100, AdminState.DRAIN), ServerRoute.ready(100)), Cutover.drain());

    List<Response> responses;
    long rolledBackAt;
    RollbackResult result;
    dev.rollback.detect.Health noTrafficToV2;
    dev.rollback.detect.Health trafficToV1;
    try (LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), 250)) {
      await().atMost(HANG_GUARD).until(() -> load.answered() >= 150);
      result = engine.start(plan, deployment, RunOptions.defaults().withKnownGood(knownGood)).await();
      rolledBackAt = System.nanoTime();
      // traffic really moved: HAProxy's own counters see no new request reach v2, and v1 serving
      noTrafficToV2 = router.receivesNoTraffic("app", "v2", Duration.ofMillis(300)).check();
      trafficToV1 = router.receivesNoTraffic("app", "v1", Duration.ofMillis(300)).check();
      long before = load.sent();
      await().atMost(HANG_GUARD).until(() -> load.sent() >= before + 150);
      assertThat(load.rate()).isGreaterThanOrEqualTo(200);
      responses = load.stop();
      RequestLedger.assertEveryRequestAnsweredExactlyOnce(load, responses, v1, v2);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(noTrafficToV2.isUp()).as(noTrafficToV2.toString()).isTrue();
    assertThat(trafficToV1.isUp()).as(trafficToV1.toString()).isFalse();
    assertThat(trafficToV1.detail()).contains("v1 still served");
    assertThat(responses).filteredOn(r -> r.doneNanos() < rolledBackAt).anyMatch(r -> r.servedBy().equals("v2"));
    assertThat(responses).filteredOn(r -> r.sentNanos() > rolledBackAt).isNotEmpty()
        .allMatch(r -> r.servedBy().equals("v1"));
    assertThat(router.read("app").server("v1").admin()).isEqualTo(AdminState.READY);
    assertThat(router.read("app").server("v2").weight()).isZero();
  }

  @Test
  void gradualShiftBackUnderLoadLosesNoRequestAndPassesItsHealthGateAtEachStep() throws Exception {
    start(0, 100);
    TrafficShift shift = Traffic.shiftBack(router, "app", "v2", "v1").inSteps(50, 10, 0)
        .withPause(Duration.ofMillis(300))
        .withHealthGate(Traffic.probe("app via haproxy",
            URI.create("http://127.0.0.1:" + haproxy.frontendPort() + "/health"), Duration.ofSeconds(10)),
            Duration.ofSeconds(20));
    RollbackPlan plan = RollbackPlan.builder("shift-back").sequential("traffic", s -> s.step(shift.toStep())).build();

    List<Response> responses;
    long doneAt;
    RollbackResult result;
    try (LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), 250)) {
      await().atMost(HANG_GUARD).until(() -> load.answered() >= 100);
      result = engine.run(plan, Deployment.of("checkout", "2.4.0"));
      doneAt = System.nanoTime();
      long before = load.sent();
      await().atMost(HANG_GUARD).until(() -> load.sent() >= before + 150);
      assertThat(load.rate()).isGreaterThanOrEqualTo(200);
      responses = load.stop();
      RequestLedger.assertEveryRequestAnsweredExactlyOnce(load, responses, v1, v2);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    // while the shift ran, both versions served: the 50% and 10% steps were real
    assertThat(responses).filteredOn(r -> r.sentNanos() < doneAt).extracting(Response::servedBy).contains("v1", "v2");
    assertThat(responses).filteredOn(r -> r.sentNanos() > doneAt).isNotEmpty().allMatch(r -> r.servedBy().equals("v1"));
    assertThat(router.read("app").server("v2").weight()).isZero();
    assertThat(router.read("app").server("v1").weight()).isEqualTo(100);
  }

  @Test
  void aReleaseThatRoutesToABadVersionIsRevertedToTheRoutingCapturedAtItsStart() throws Exception {
    start(100, 0);
    v2.failBusinessRequests(true);
    dev.rollback.Release release = dev.rollback.Release.builder("checkout-2.4.0")
        .change(Traffic.change("route to v2", router,
            state(ServerRoute.of(100, AdminState.DRAIN), ServerRoute.ready(100))))
        .healthGate(Traffic.probe("checkout through haproxy",
            URI.create("http://127.0.0.1:" + haproxy.frontendPort() + "/"), Duration.ofSeconds(10))).within(Duration.ofSeconds(2)).checkingEvery(Duration.ofMillis(100))
        .build();

    RollbackResult result = engine.run(release);

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.step("route to v2/apply")).isInstanceOf(StepOutcome.Succeeded.class);
    assertThat(result.step("route to v2/revert")).isInstanceOf(StepOutcome.Succeeded.class);
    assertThat(router.read("app").server("v1")).isEqualTo(new ServerRoute(100, AdminState.READY, Operational.UP));
    assertThat(router.read("app").serving()).containsExactly("v1");
  }

  @Test
  void aShiftWhoseHealthGateFailsStopsAtThatStepAndSaysWhere() throws Exception {
    start(0, 100);
    dev.rollback.Step step = Traffic.shiftBack(router, "app", "v2", "v1").inSteps(50, 0)
        .withHealthGate(dev.rollback.detect.HealthCheck.constant("always down", dev.rollback.detect.HealthStatus.DOWN),
            Duration.ofMillis(200))
        .toStep();
    RollbackResult result = engine.run(RollbackPlan.builder("shift").sequential("traffic", s -> s.step(step))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build(), Deployment.of("checkout", "2.4.0"));

    assertThat(result.step("traffic/shift app")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("health gate 'always down' was not UP", "50% on v2", router.name()));
    assertThat(router.read("app").server("v2").weight()).isEqualTo(50);
  }

  @Test
  void refusesToLeaveTheBackendWithoutCapacityUnlessTold() throws IOException {
    start(100, 0);
    RoutingState none = state(ServerRoute.ready(0), ServerRoute.of(100, AdminState.DRAIN));

    assertThatThrownBy(() -> router.apply(none, Cutover.drain()))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining(router.name())
        .hasMessageContaining("no server taking traffic")
        .hasMessageContaining("previous routing state kept: app{v1=100/READY/UP, v2=0/READY/UP}");
    assertThat(router.read("app").serving()).containsExactly("v1");

    router.apply(none, Cutover.drain().allowingZeroCapacity());
    assertThat(router.read("app").hasCapacity()).isFalse();
  }

  @Test
  void rejectsAWeightOutOfRangeAndKeepsTheRouting() throws IOException {
    start(100, 0);

    assertThatThrownBy(() -> router.apply(state(ServerRoute.ready(257), ServerRoute.ready(0)), Cutover.drain()))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining("must be between 0 and 256: 257");
    assertThat(router.read("app").server("v1").weight()).isEqualTo(100);
  }

  @Test
  void anUnknownServerFailsTheStepNamingTheRouterAndKeepsTheRouting() throws IOException {
    start(100, 0);
    RollbackResult result = engine.run(RollbackPlan.builder("flip")
        .sequential("traffic", s -> s.step(Traffic.flipTo(router, "app", "v3")))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build(), Deployment.of("checkout", "2.4.0"));

    assertThat(result.step("traffic/flip app")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("backend app has no server \"v3\"", "servers: [v1, v2]"));
    assertThat(router.read("app").serving()).containsExactly("v1");
  }

  @Test
  void aCommandThatChainsAnotherWithASemicolonIsRefusedAndNothingIsSent() throws Exception {
    start(100, 100);

    assertThatThrownBy(() -> router.command("set server app/v2 weight 0; set server app/v1 weight 0"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(router.name() + ": runtime API command \"set server app/v2 weight 0; set server app/v1 weight 0\"")
        .hasMessageContaining("';' at index 26")
        .hasMessageContaining("rawCommandLine");
    assertThat(router.read("app").server("v1").weight()).isEqualTo(100);
    assertThat(router.read("app").server("v2").weight()).isEqualTo(100);
  }

  @Test
  void aRawCommandLineChainsSeveralCommandsWhenAskedFor() throws Exception {
    start(100, 100);

    router.rawCommandLine("set server app/v2 weight 0; set server app/v1 weight 50");

    assertThat(router.read("app").server("v1").weight()).isEqualTo(50);
    assertThat(router.read("app").server("v2").weight()).isZero();
  }

  @Test
  void aCommandHaproxyRefusesMidwayPutsBackWhatWasAlreadyChanged() throws Exception {
    // static-rr accepts only 0% or 100% of the initial weight: the second command of this target fails
    haproxy = HaproxyProcess.withBackend(dir, "  balance static-rr\n"
        + "  server v1 127.0.0.1:" + v1.port() + " weight 100\n"
        + "  server v2 127.0.0.1:" + v2.port() + " weight 100\n");
    router = HaproxyRouter.unixSocket(haproxy.socket());
    await().atMost(HANG_GUARD).ignoreExceptions().until(() -> router.read("app").servers().size() == 2);
    router.command("set server app/v2 weight 0");
    java.util.Map<String, ServerRoute> target = new java.util.LinkedHashMap<>();
    target.put("v2", ServerRoute.ready(100));
    target.put("v1", ServerRoute.ready(37));

    assertThatThrownBy(() -> router.apply(RoutingState.of("app", target), Cutover.drain()))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining(router.name() + ": set server app/v1 weight 37 failed: HAProxy answered")
        .hasMessageContaining("previous routing state kept: app{v1=100/READY/UP, v2=0/READY/UP}")
        .satisfies(e -> assertThat(((RouterException) e).previous()).isPresent());
    assertThat(router.read("app").server("v2").weight()).isZero();
    assertThat(router.read("app").server("v1").weight()).isEqualTo(100);
  }

  @Test
  void anUnknownBackendFailsWithWhatHaproxyAnswered() throws IOException {
    start(100, 0);

    assertThatThrownBy(() -> router.read("nosuch"))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining(router.name() + ": show servers state nosuch failed: HAProxy answered");
  }

  @Test
  void aDeadRuntimeSocketFailsTheStepNamingTheSocketAndWhatItTried() throws IOException, InterruptedException {
    start(100, 0);
    Path socket = haproxy.socket();
    haproxy.close();
    haproxy = null;
    HaproxyRouter dead = HaproxyRouter.unixSocket(socket).withTimeout(Duration.ofMillis(500));

    RollbackResult result = engine.run(RollbackPlan.builder("flip")
        .sequential("traffic", s -> s.step(Traffic.setWeights(dead, "app", Map.of("v1", 100, "v2", 0))))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build(), Deployment.of("checkout", "2.4.0"));

    assertThat(result.step("traffic/route app")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("haproxy unix:" + socket, "show servers state app", "cannot talk to the runtime API"));
  }

  @Test
  void weightsSurviveAReloadThroughTheServerStateFile() throws Exception {
    start(100, 0);
    HaproxyRouter persistent = router.withServerStateFile(haproxy.stateFile());

    persistent.apply(state(ServerRoute.ready(70), ServerRoute.ready(30)), Cutover.drain());
    haproxy.reload();

    await("the reloaded haproxy answers").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
        .ignoreExceptions().until(() -> router.read("app").server("v2").weight() == 30);
    assertThat(router.read("app").server("v1").weight()).isEqualTo(70);
  }

  @Test
  void aHardCutPutsTheServerInMaintenance() throws IOException {
    start(0, 100);

    router.apply(Traffic.flipTarget(router.read("app"), java.util.Set.of("v1"), Cutover.hardCut()), Cutover.hardCut());

    RoutingState s = router.read("app");
    assertThat(s.server("v2").admin()).isEqualTo(AdminState.MAINT);
    assertThat(s.serving()).containsExactly("v1");
    assertThat(Traffic.serverReady(router, "app", "v2").check().isUp()).isFalse();
    assertThat(Traffic.serverReady(router, "app", "v1").check().isUp()).isTrue();
  }

  @Test
  void countsFiveHundredsPerServerAsASignal() throws Exception {
    start(50, 50);
    v2.failBusinessRequests(true);
    dev.rollback.detect.Signal signal = router.responsesOf("app", "v2", Duration.ofMillis(10));
    java.time.Instant t0 = java.time.Instant.now();
    assertThat(signal.observe(t0).total()).isZero();

    try (LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), 200)) {
      await().atMost(HANG_GUARD).until(() -> load.answered() >= 40);
      load.stop();
    }

    Map<String, ServerCounters> counters = new java.util.HashMap<>();
    router.counters("app").forEach(c -> counters.put(c.server(), c));
    assertThat(counters.get("v2").responses5xx()).isPositive().isEqualTo(counters.get("v2").responses());
    assertThat(counters.get("v1").responses5xx()).isZero();
    assertThat(counters.get("v1").responses()).isPositive();
    dev.rollback.detect.Observations seen = signal.observe(t0.plusSeconds(1));
    assertThat(seen.failures()).isPositive().isEqualTo(seen.total()).isEqualTo(counters.get("v2").responses5xx());
    assertThat(seen.detail()).contains("were 5xx");
    assertThat(HaproxyRouter.tcp("127.0.0.1", 1).withTimeout(Duration.ofMillis(200)).responsesOf("app", "v2",
        Duration.ofMillis(10)).observe(t0).unknown()).isEqualTo(1);
  }

  @Test
  void aStepUndoesToItsUndoSnapshotAndReconcilesByReadingTheRoutingBack() throws Exception {
    start(100, 0);
    dev.rollback.Step flip = Traffic.flipTo(router, "app", "v2");
    FakeStepContext forward = FakeStepContext.builder().withStepPath("traffic/flip app").build();
    dev.rollback.Snapshot undo = flip.undoCapture().orElseThrow().capture(forward);
    FakeStepContext ctx = forward.toBuilder().withUndoSnapshot(undo).build();

    assertThat(flip.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(dev.rollback.Reconciliation.NOT_APPLIED);
    flip.action().run(ctx);
    assertThat(router.read("app").serving()).containsExactly("v2");
    assertThat(flip.reconciler().orElseThrow().reconcile(ctx)).isEqualTo(dev.rollback.Reconciliation.APPLIED);
    assertThat(ctx.notes()).singleElement().asString().contains("backend app on " + router.name() + " now");

    flip.undo().orElseThrow().run(ctx);
    assertThat(router.read("app").server("v1")).isEqualTo(new ServerRoute(100, AdminState.READY, Operational.UP));
    assertThat(router.read("app").server("v2").weight()).isZero();
    assertThat(ctx.notes()).last().asString().contains("backend app on " + router.name() + " back to");
  }

  @Test
  void restoringWithoutAKnownGoodStateSaysHowToCaptureIt() throws Exception {
    start(100, 0);
    dev.rollback.Step restore = Traffic.restoreKnownGood(router, "app");

    assertThatThrownBy(() -> restore.action().run(FakeStepContext.builder().withStepPath("traffic/restore traffic app").build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("step 'traffic/restore traffic app' has no known-good state of backend app on " + router.name())
        .hasMessageContaining("RollbackEngine.captureKnownGood");
  }

  @Test
  void aResumedShiftContinuesAfterItsLastCheckpointedStep() throws Exception {
    start(0, 100);
    dev.rollback.Step shift = Traffic.shiftBack(router, "app", "v2", "v1").inSteps(50, 10, 0).toStep();
    FakeStepContext ctx = FakeStepContext.builder().withCheckpoint(StateSteps.SEQUENCE_CHECKPOINT, "2").build();

    shift.action().run(ctx);

    assertThat(ctx.notes()).singleElement().asString()
        .startsWith("backend app on " + router.name() + " now 0% on v2, 100% on v1 (target 3 of 3)");
    assertThat(ctx.checkpoints()).containsEntry(StateSteps.SEQUENCE_CHECKPOINT, "3");
    assertThat(router.read("app").serving()).containsExactly("v1");
  }

  @Test
  void aFailedStepNamesItsPathTheBackendAndWhatTheRouterRefused() throws Exception {
    start(100, 0);
    RollbackResult result = engine.run(RollbackPlan.builder("weights")
        .sequential("traffic", s -> s.step(Traffic.setWeights(router, "app", Map.of("v1", 0, "v2", 0))))
        .withFailurePolicy(dev.rollback.FailurePolicy.CONTINUE).build(), Deployment.of("checkout", "2.4.0"));

    assertThat(result.step("traffic/route app")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
        assertThat(f.error()).contains("step 'traffic/route app'", "backend app on " + router.name(),
            "RouterException", "no server taking traffic"));
    assertThat(router.read("app").serving()).containsExactly("v1");
  }

  @Test
  void aReplicaThatLosesItsLeaseBetweenTwoCommandsSendsNoMoreAndPutsNothingBack() throws Exception {
    start(100, 0);
    // the flip is three commands: v2 weight 100, then v1 drain, then v1 weight 0; the lease is lost after the first
    int[] checks = {0};
    dev.rollback.StepLease losesAfterOneCommand = new dev.rollback.StepLease() {
      @Override public boolean isPresent() { return true; }
      @Override public String name() { return "rollback-guard-checkout@2.4.0"; }
      @Override public String holder() { return "pod-1"; }
      @Override public long token() { return 1; }
      @Override public boolean stillHeld() { return ++checks[0] <= 1; }
      @Override public String lostBecause() { return "taken over by pod-2 (fencing token 2)"; }
      @Override public <T> java.util.Optional<T> unwrap(Class<T> type) { return java.util.Optional.empty(); }
    };

    assertThatThrownBy(() -> router.apply(state(ServerRoute.of(0, AdminState.DRAIN), ServerRoute.ready(100)), Cutover.drain(),
        losesAfterOneCommand))
        .isInstanceOf(dev.rollback.LeaseLostException.class).hasMessageContaining("taken over by pod-2");

    // the first command went out; nothing after it, and no put-back of v2's weight either
    assertThat(router.read("app").server("v2").weight()).isEqualTo(100);
    assertThat(router.read("app").server("v1")).isEqualTo(new ServerRoute(100, AdminState.READY, Operational.UP));
  }

}
