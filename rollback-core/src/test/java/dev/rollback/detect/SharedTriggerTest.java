package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.guard.Guard;
import dev.rollback.guard.GuardState;
import dev.rollback.journal.InMemoryJournal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One trigger instance given to a release and to a guard: each evaluates its own evaluator, so
 * what one of them has counted neither counts for the other nor is wiped by the other.
 */
@org.junit.jupiter.api.Timeout(60)
class SharedTriggerTest {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final Deployment DEPLOYMENT = Deployment.of("checkout", "2.4.0");
  private final ManualClock clock = ManualClock.create();
  private final InMemoryJournal journal = InMemoryJournal.create();
  private final RollbackEngine engine = RollbackEngine.builder().withClock(clock).withJournal(journal).build();
  private final RequestRecorder requests = RequestRecorder.create("checkout requests");
  private final Trigger shared = Trigger.consecutiveFailures(requests, 3);
  private final Turnstile changes = new Turnstile();
  private final AtomicInteger guardPlanRuns = new AtomicInteger();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    changes.openAll();
    for (AutoCloseable c : toClose) c.close();
    engine.close();
  }

  /** A release of changes that each wait for the test at their apply, then one that does not wait. */
  private RollbackRun startRelease(String... waiting) {
    Release.Builder b = Release.builder("checkout-2.4.0").forDeployment(DEPLOYMENT).trigger(shared);
    for (String name : waiting) b.change(changes.change(name));
    b.change(Change.of("warm cache", ctx -> { }, ctx -> { }));
    return engine.start(b.build());
  }

  private Guard armGuard() {
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("kill switch").execute(ctx -> guardPlanRuns.incrementAndGet()).withTimeout(Duration.ofSeconds(5)).build())
        .build();
    Guard g = Guard.builder(plan, DEPLOYMENT).withEngine(engine).trigger(shared).withBakeTime(Duration.ofMinutes(10)).build();
    toClose.add(g);
    g.arm();
    return g;
  }

  private void fail(int n) {
    for (int i = 0; i < n; i++) requests.failure(1_000_000);
    clock.runDue(); // the guard, woken by the failures, evaluates
  }

  private static String consecutive(Guard g) {
    return g.status().lastEvaluations().get(0).facts().get("consecutive");
  }

  @Test
  void armingAGuardDoesNotWipeTheFailuresAReleaseOnTheSameTriggerCounted() {
    requests.success(1_000_000);
    RollbackRun release = startRelease("image", "config", "flags");
    changes.letThrough("image"); // the release's evaluator takes its baseline
    changes.awaitArrival("config");
    fail(2);
    changes.letThrough("config"); // the release has counted 2 failures in a row

    changes.awaitArrival("flags");
    Guard guard = armGuard();
    fail(1);
    assertThat(consecutive(guard)).as("the guard counts from its own arming").isEqualTo("1");
    assertThat(guard.state()).isEqualTo(GuardState.ARMED);
    changes.letThrough("flags");

    RollbackResult result = release.await(HANG_GUARD);
    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.summary()).contains("3 consecutive failures of 'checkout requests'").contains("after change 'flags'");
    assertThat(guard.state()).isEqualTo(GuardState.ARMED);
    assertThat(guardPlanRuns).hasValue(0);
  }

  @Test
  void failuresAGuardCountedDoNotCountForAReleaseOnTheSameTriggerStartedLater() {
    requests.success(1_000_000);
    Guard guard = armGuard();
    fail(2);
    assertThat(consecutive(guard)).isEqualTo("2");

    RollbackRun release = startRelease("image", "config");
    changes.letThrough("image"); // the release's evaluator: a success seen since the signal began, no run of failures
    changes.awaitArrival("config");
    fail(1);
    assertThat(guard.state()).as(guard.status().detail()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
    assertThat(guard.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    changes.letThrough("config"); // the release has seen 1 failure since its baseline

    RollbackResult result = release.await(HANG_GUARD);
    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RELEASED);
    assertThat(guardPlanRuns).hasValue(1);
  }

  @Test
  void aManualTriggerFiredOnceReachesTheReleaseAndTheGuardWatchingIt() {
    Trigger.Manual stop = Trigger.manual("on-call");
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .step(Step.builder("kill switch").execute(ctx -> guardPlanRuns.incrementAndGet()).withTimeout(Duration.ofSeconds(5)).build())
        .build();
    Guard guard = Guard.builder(plan, DEPLOYMENT).withEngine(engine).trigger(stop).build();
    toClose.add(guard);
    guard.arm();
    RollbackRun release = engine.start(Release.builder("checkout-2.4.0").forDeployment(DEPLOYMENT).trigger(stop)
        .change(changes.change("image")).change(Change.of("warm cache", ctx -> { }, ctx -> { })).build());
    changes.awaitArrival("image");

    stop.fire("alice", "checkout is charging twice");
    clock.runDue();
    assertThat(guard.state()).isIn(GuardState.FIRED, GuardState.ROLLED_BACK);
    changes.letThrough("image");

    RollbackResult result = release.await(HANG_GUARD);
    assertThat(result.outcome()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.summary()).contains("rollback requested by alice: checkout is charging twice");
    assertThat(guard.run().orElseThrow().await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
  }

  /** Changes whose apply waits until the test lets it through, so the test knows where the release run is. */
  private static final class Turnstile {
    private final BlockingQueue<String> arrivals = new LinkedBlockingQueue<>();
    private final Map<String, CountDownLatch> gates = new ConcurrentHashMap<>();
    private final Set<String> arrived = ConcurrentHashMap.newKeySet();
    private volatile boolean open;

    Change change(String name) {
      return Change.of(name, ctx -> {
        arrivals.add(name);
        gate(name).await();
      }, ctx -> { });
    }

    private CountDownLatch gate(String name) {
      return gates.computeIfAbsent(name, n -> new CountDownLatch(open ? 0 : 1));
    }

    /** Waits (bounded) until the release run is applying {@code name}. */
    void awaitArrival(String name) {
      while (!arrived.contains(name)) {
        String next;
        try {
          next = arrivals.poll(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new AssertionError("interrupted waiting for change '" + name + "'", e);
        }
        assertThat(next).as("the release run applying change '" + name + "' within 10 s").isNotNull();
        arrived.add(next);
      }
    }

    /** Waits until the release run is applying {@code name}, then lets the apply finish. */
    void letThrough(String name) {
      awaitArrival(name);
      gate(name).countDown();
    }

    /** Lets every change through from now on, so no run is left waiting after the test. */
    void openAll() {
      open = true;
      gates.values().forEach(CountDownLatch::countDown);
    }
  }
}
