package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.RunHistory;
import dev.rollback.lb.LoadGenerator.Response;
import dev.rollback.test.Fault;
import dev.rollback.test.FaultProxy;
import dev.rollback.test.RollbackAssertions;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fault injection on a real HAProxy 2.6: its TCP runtime API is reached through a {@link FaultProxy}
 * that starts closing every connection in the middle of a gradual shift back (right after the
 * first step, from inside that step's health gate), while load runs through the real frontend.
 */
class HaproxyFaultIT {
  private static final Duration HANG_GUARD = Duration.ofMinutes(2);
  static TestBackend v1;
  static TestBackend v2;

  @TempDir Path dir;
  HaproxyProcess haproxy;
  FaultProxy proxy;
  HaproxyRouter throughProxy;
  HaproxyRouter direct;

  @BeforeAll
  static void startBackends() throws IOException {
    v1 = TestBackend.start("v1");
    v2 = TestBackend.start("v2");
  }

  @AfterAll
  static void stopBackends() {
    v1.close();
    v2.close();
  }

  @AfterEach
  void stop() throws InterruptedException {
    if (proxy != null) proxy.close();
    if (haproxy != null) haproxy.close();
  }

  private void startOnV2() throws IOException {
    haproxy = HaproxyProcess.start(dir.resolve("haproxy"), HaproxyProcess.servers(v1, v2), Map.of("v1", 0, "v2", 100));
    direct = HaproxyRouter.unixSocket(haproxy.socket());
    proxy = FaultProxy.tcp(haproxy.adminPort());
    throughProxy = HaproxyRouter.tcp("127.0.0.1", proxy.port()).withTimeout(Duration.ofSeconds(5));
    await("both servers UP in haproxy").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
        .until(() -> direct.read("app").servers().values().stream().allMatch(r -> r.operational() == Operational.UP));
  }

  /** The shift 50 → 10 → 0 whose first health gate check makes the runtime socket close every connection. */
  private RollbackPlan shiftBackThatLosesItsSocketAfterTheFirstStep(Retry retry, Fault fault) {
    AtomicInteger gateChecks = new AtomicInteger();
    HealthCheck gate = HealthCheck.of("frontend answers", () -> {
      if (gateChecks.incrementAndGet() == 1) proxy.inject(fault);
      return HealthStatus.UP;
    });
    TrafficShift shift = Traffic.shiftBack(throughProxy, "app", "v2", "v1").inSteps(50, 10, 0)
        .withHealthGate(gate, Duration.ofSeconds(10));
    return RollbackPlan.builder("shift-back")
        .sequential("traffic", s -> s.step(shift.toStep().toBuilder().withRetry(retry).build()))
        .build();
  }

  @Test
  void aRuntimeSocketClosedMidShiftHaltsAtAGateLeavingTheFirstStepAndResumeFinishesTheShiftUnderLoadWithoutLoss()
      throws Exception {
    startOnV2();
    RollbackPlan plan = shiftBackThatLosesItsSocketAfterTheFirstStep(Retry.none(), Fault.close());
    FileJournal journal = FileJournal.create(dir.resolve("journal"));
    String runId;
    List<Response> responses;
    try (LoadGenerator load = LoadGenerator.start(haproxy.frontendPort(), 250)) {
      await().atMost(HANG_GUARD).until(() -> load.answered() >= 100);
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
        RollbackRun run = engine.start(plan, Deployment.of("checkout", "2.4.0"), RunOptions.defaults().withReason("fault test"));
        runId = run.runId();
        GateRequest gate = run.awaitGate(HANG_GUARD);
        assertThat(gate.stepPath()).isEqualTo("traffic/" + plan.stages().get(0).steps().get(0).name());
        assertThat(gate.question()).contains("cannot talk to the runtime API", "127.0.0.1:" + proxy.port());
        run.answer(gate.id(), Decision.HALT, "sre");
        RollbackResult halted = run.await(HANG_GUARD);
        assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
      }
      // the first step stands: half the traffic back on v1, nothing half-applied
      assertThat(direct.read("app").server("v1").weight()).isEqualTo(50);
      assertThat(direct.read("app").server("v2").weight()).isEqualTo(50);
      RollbackAssertions.assertThat(journal).hasIntactRun(runId);

      proxy.heal();
      try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
        RollbackRun resumed = engine.resume(runId, plan);
        GateRequest again = resumed.awaitGate(HANG_GUARD);
        resumed.answer(again.id(), Decision.RETRY, "sre");
        assertThat(resumed.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
      }
      // load on the final routing too, and enough requests in all for the ledger to mean something
      long before = load.sent();
      await().atMost(HANG_GUARD).until(() -> load.sent() >= Math.max(before + 100, 400));
      responses = load.stop();
      RequestLedger.assertEveryRequestAnsweredExactlyOnce(load, responses, v1, v2);
    }
    assertThat(direct.read("app").server("v1").weight()).isEqualTo(100);
    assertThat(direct.read("app").server("v2").weight()).isZero();
    assertThat(proxy.applied()).isGreaterThanOrEqualTo(1);
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);
    RunHistory history = RunHistory.of(journal.read(runId));
    assertThat(history.outcome()).contains("RECOVERED");
    assertThat(history.resumes()).hasSize(1);
  }

  @Test
  void aRuntimeSocketThatDropsAFewConnectionsMidShiftIsRetriedAndTheShiftCompletesInTheSameRun() throws Exception {
    startOnV2();
    RollbackPlan plan = shiftBackThatLosesItsSocketAfterTheFirstStep(Retry.times(3), Fault.close().times(2));
    FileJournal journal = FileJournal.create(dir.resolve("journal"));
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      result = engine.run(plan, Deployment.of("checkout", "2.4.0"));
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(proxy.applied()).isEqualTo(2);
    assertThat(direct.read("app").server("v1").weight()).isEqualTo(100);
    assertThat(direct.read("app").server("v2").weight()).isZero();
    RollbackAssertions.assertThat(journal).hasIntactRun(result.runId());
    RunHistory history = RunHistory.of(journal.read(result.runId()));
    assertThat(history.stepHistory(history.steps().get(0).path()).attempts()).isGreaterThanOrEqualTo(2);
  }
}
