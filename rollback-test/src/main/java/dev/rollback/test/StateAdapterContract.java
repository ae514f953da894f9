package dev.rollback.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.GateKind;
import dev.rollback.GateRequest;
import dev.rollback.KnownGood;
import dev.rollback.LeaseLostException;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Snapshot;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.guard.LeaseGrant;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link StateAdapter} runs against its real system: extend it in the
 * module's tests, give the adapter and two distinct states, and JUnit runs the checks below.
 * Every check drives the steps {@link StateSteps} derives from the adapter through a real
 * {@link RollbackEngine} (with an in-memory journal) rather than calling the adapter alone.
 *
 * <pre>{@code
 * class HaproxyAdapterContractIT extends StateAdapterContract<RoutingState> {
 *   @BeforeEach void startHaproxy() { ... }
 *   @AfterEach void stopHaproxy() { ... }
 *
 *   @Override protected StateAdapter<RoutingState> adapter() { return Traffic.backend(router, "app"); }
 *   @Override protected RoutingState knownGoodState() { return ...v1 takes everything...; }
 *   @Override protected RoutingState changedState() { return ...v2 takes everything...; }
 * }
 * }</pre>
 *
 * <p>What it checks: the two states differ and survive the journal; a release change is reverted
 * to the state captured at release start; a rollback restores the known-good state captured
 * before a change; abandoning a rollback puts back what its step found; after a crash mid-apply
 * (the journal ends with the step's STEP_STARTED) a resumed run leaves a system that already
 * matches untouched and applies the target again to one that does not, and the step's reconciler
 * tells the two apart (APPLIED / NOT_APPLIED); applying a target the system already has changes
 * nothing ({@link #fingerprint} stays the same); an adapter whose step lost its lease
 * ({@link dev.rollback.StepContext#lease()}) refuses to write, with a {@link LeaseLostException}; a
 * replica whose lease another replica takes over in the middle of a step writes nothing afterwards.
 *
 * <p>Each test starts by putting the system in {@link #knownGoodState()} with a derived step.
 * {@link #adapter()} is called inside each test, after the subclass's {@code @BeforeEach}
 * methods, so it can use what they started.
 *
 * @param <S> the adapter's state type
 */
public abstract class StateAdapterContract<S> {
  private static final Deployment DEPLOYMENT = Deployment.of("adapter-contract", "1");
  private static final String STAGE = "state";
  private static final String CHANGE = "change the system";

  /** The adapter under test, talking to the real system. */
  protected abstract StateAdapter<S> adapter() throws Exception;

  /** The state every test starts from and captures as known-good. */
  protected abstract S knownGoodState();

  /** A state that does not match {@link #knownGoodState()}, which the tests change the system to. */
  protected abstract S changedState();

  /** The derived steps to check; {@code StateSteps.on(adapter)} by default. Override to wait until settled. */
  protected StateSteps<S> steps(StateAdapter<S> adapter) {
    return StateSteps.on(adapter);
  }

  /**
   * What a write would leave behind in the system beyond what {@link StateAdapter#read} shows: a
   * reload's new worker processes, a file's modification time, a resource version. It must be the
   * same before and after applying a target the system already has. The encoded read by default.
   */
  protected Object fingerprint(StateAdapter<S> adapter) throws Exception {
    return adapter.codec().encode(adapter.read(FakeStepContext.create())).values();
  }

  /** How long one run of the derived steps may take; 2 minutes by default. */
  protected Duration runTimeout() {
    return Duration.ofMinutes(2);
  }

  // ------------------------------------------------------------------ the contract

  @Test
  public void theTwoStatesDifferAndSurviveTheJournal() throws Exception {
    StateAdapter<S> adapter = adapter();
    S good = knownGoodState();
    S changed = changedState();
    assertThat(adapter.describe()).as("describe()").isNotBlank();
    assertThat(adapter.matches(good, changed)).as("matches(knownGoodState(), changedState()): the two states must differ").isFalse();
    assertThat(adapter.matches(changed, good)).as("matches(changedState(), knownGoodState()): the two states must differ").isFalse();

    for (S s : List.of(good, changed)) {
      startIn(adapter, s);
      S read = adapter.read(FakeStepContext.create());
      Snapshot journaled = adapter.codec().encode(read);
      assertThat(adapter.matches(adapter.codec().decode(journaled), read))
          .as("decode(encode(read())) of %s must match what was read: %s", adapter.describe(), journaled.values()).isTrue();
      assertThat(adapter.matches(adapter.codec().decode(adapter.codec().encode(s)), read))
          .as("decode(encode(%s)) must match the system set to it", adapter.describe(s)).isTrue();
    }
  }

  @Test
  public void aChangeIsRevertedToTheStateCapturedWhenTheReleaseStarted() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    List<Boolean> changedAtGate = new CopyOnWriteArrayList<>();
    Release release = Release.builder("adapter-contract")
        .change(steps(adapter).change(CHANGE, changedState()))
        .healthGate(HealthCheck.of("the release is bad", () -> {
          changedAtGate.add(adapter.matches(changedState(), adapter.read(FakeStepContext.create())));
          return HealthStatus.DOWN;
        })).within(Duration.ofMillis(1)).checkingEvery(Duration.ofMillis(1))
        .withRevertFailurePolicy(FailurePolicy.CONTINUE)
        .build();

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      result = engine.start(release).await(runTimeout());
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(changedAtGate).as("the system matched changedState() while the release ran").first().isEqualTo(true);
    assertThat(result.step(CHANGE + "/revert")).as(result.summary()).isInstanceOf(StepOutcome.Succeeded.class);
    assertMatches(adapter, knownGoodState(), "after the revert");
  }

  @Test
  public void aRollbackRestoresTheKnownGoodStateCapturedBeforeAChange() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    RollbackPlan restore = plan(steps(adapter).restoreKnownGood("restore the known-good state"), FailurePolicy.CONTINUE);

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      KnownGood captured = engine.captureKnownGood(restore, DEPLOYMENT);
      runOrFail(engine, plan(steps(adapter).restore(CHANGE, changedState()), FailurePolicy.CONTINUE));
      assertMatches(adapter, changedState(), "after the change");
      result = engine.start(restore, DEPLOYMENT, RunOptions.defaults().withKnownGood(captured)).await(runTimeout());
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertMatches(adapter, knownGoodState(), "after restoring the known-good state");
  }

  @Test
  public void abandoningARollbackPutsBackWhatItsStepFound() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    Step broken = Step.builder("a later step that fails").execute(ctx -> {
      throw new IllegalStateException("fails on purpose");
    }).undo(ctx -> { }).build();
    RollbackPlan plan = RollbackPlan.builder("adapter-contract")
        .sequential(STAGE, s -> s.step(steps(adapter).restore(CHANGE, changedState())))
        .sequential("then", s -> s.step(broken))
        .withFailurePolicy(FailurePolicy.ABANDON)
        .build();

    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      RollbackRun run = engine.start(plan, DEPLOYMENT);
      GateRequest gate = run.awaitGate(runTimeout());
      assertThat(gate.kind()).as(gate.question()).isEqualTo(GateKind.ABANDON);
      assertMatches(adapter, changedState(), "before abandoning");
      run.answer(gate.id(), Decision.PROCEED, "adapter contract");
      result = run.await(runTimeout());
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.ABANDONED);
    assertMatches(adapter, knownGoodState(), "after the step was undone");
  }

  @Test
  public void aResumeAfterACrashMidApplyLeavesASystemThatAlreadyMatchesAlone() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    RollbackPlan plan = plan(steps(adapter).restore(CHANGE, changedState()), FailurePolicy.CONTINUE);
    InMemoryJournal crashed = crashedAfterTheWrite(plan, "crash-after-write");
    Object before = fingerprint(adapter);

    assertThat(reconcile(plan)).as("the step's reconciler, with the system already changed").isEqualTo(Reconciliation.APPLIED);
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(crashed).build()) {
      result = engine.resume("crash-after-write", plan).await(runTimeout());
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.step(STAGE + "/" + CHANGE)).as("recorded as it happened: reconcile saw it applied; " + result.summary())
        .isInstanceOf(StepOutcome.AlreadyApplied.class);
    assertThat(fingerprint(adapter)).as("%s after the resume: nothing may be written again", adapter.describe())
        .isEqualTo(before);
    assertMatches(adapter, changedState(), "after the resume");
  }

  @Test
  public void aResumeAfterACrashBeforeTheWriteTookEffectAppliesItAgain() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    RollbackPlan plan = plan(steps(adapter).restore(CHANGE, changedState()), FailurePolicy.CONTINUE);
    InMemoryJournal crashed = crashedAfterTheWrite(plan, "crash-before-write");
    startIn(adapter, knownGoodState()); // as if the process died before its write reached the system

    assertThat(reconcile(plan)).as("the step's reconciler, with the system unchanged").isEqualTo(Reconciliation.NOT_APPLIED);
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(crashed).build()) {
      result = engine.resume("crash-before-write", plan).await(runTimeout());
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(result.step(STAGE + "/" + CHANGE)).as(result.summary()).isInstanceOf(StepOutcome.Succeeded.class);
    assertMatches(adapter, changedState(), "after the resume");
  }

  @Test
  public void applyingTheSameTargetAgainChangesNothing() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    RollbackPlan plan = plan(steps(adapter).restore(CHANGE, changedState()), FailurePolicy.CONTINUE);

    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      runOrFail(engine, plan);
      Object once = fingerprint(adapter);
      Snapshot readOnce = adapter.codec().encode(adapter.read(FakeStepContext.create()));

      runOrFail(engine, plan);
      assertThat(fingerprint(adapter)).as("%s after running the same step again", adapter.describe()).isEqualTo(once);
      assertThat(adapter.codec().encode(adapter.read(FakeStepContext.create()))).isEqualTo(readOnce);

      adapter.apply(changedState(), FakeStepContext.create());
      assertThat(fingerprint(adapter)).as("%s after apply(%s) on a system that has it", adapter.describe(),
          adapter.describe(changedState())).isEqualTo(once);
    }
    assertMatches(adapter, changedState(), "after applying it again");
  }

  @Test
  public void anAdapterWhoseLeaseIsLostWritesNothing() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    Object before = fingerprint(adapter);
    FakeStepLease lease = FakeStepLease.held("adapter-contract-lease", "pod-1", 1);
    lease.lose("taken over by pod-2 (fencing token 2)");

    Throwable refused = catchThrowable(() -> adapter.apply(changedState(),
        FakeStepContext.builder().withStepPath(STAGE + "/" + CHANGE).withLease(lease).build()));

    assertThat(refused).as("apply(%s) by a replica that lost its lease", adapter.describe(changedState()))
        .isNotNull();
    assertThat(leaseLostIn(refused)).as("the cause chain of %s", refused).isTrue();
    assertThat(fingerprint(adapter)).as("%s after a write refused for a lost lease", adapter.describe()).isEqualTo(before);
    assertMatches(adapter, knownGoodState(), "after a write refused for a lost lease");
  }

  @Test
  public void aReplicaWhoseLeaseIsTakenOverMidStepWritesNothingAfterwards() throws Exception {
    StateAdapter<S> adapter = adapter();
    startIn(adapter, knownGoodState());
    ReadBackWatch<S> pod1 = new ReadBackWatch<>(adapter, STAGE + "/" + CHANGE);
    ScriptedLease lease = ScriptedLease.on(java.time.Clock.systemUTC());
    Duration ttl = Duration.ofSeconds(3);
    LeaseGrant mine = lease.tryAcquire("adapter-contract-lease", "pod-1", ttl).orElseThrow();
    // pod-1 moves the system through three targets, holding each for half a minute
    Step shift = steps(pod1).sequence(CHANGE, List.of(changedState(), knownGoodState(), changedState()))
        .withPause(Duration.ofSeconds(30)).toStep();
    InMemoryJournal journal = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.start(plan(shift, FailurePolicy.CONTINUE), DEPLOYMENT,
          RunOptions.defaults().withReason("pod-1 shifts").withLease(lease, mine, ttl));
      awaitFirstTarget(adapter, run, pod1);

      // pod-2 takes the lease over and puts the known-good state back under its own token
      LeaseGrant theirs = lease.takeOver("pod-2", ttl);
      RollbackResult mineNow;
      try (RollbackEngine other = RollbackEngine.builder().build()) {
        runOrFail(other, plan(steps(adapter).restore("pod-2 restores", knownGoodState()), FailurePolicy.CONTINUE),
            RunOptions.defaults().withReason("pod-2 took over").withLease(lease, theirs, ttl));
      }
      Object afterTheirs = fingerprint(adapter);
      mineNow = run.await(runTimeout());

      assertThat(mineNow.outcome()).as(mineNow.summary()).isEqualTo(RunOutcome.CANCELLED);
      assertThat(mineNow.summary()).contains("lost the lease adapter-contract-lease (fencing token 1)");
      assertThat(fingerprint(adapter)).as("%s after pod-1 stopped", adapter.describe()).isEqualTo(afterTheirs);
      assertMatches(adapter, knownGoodState(), "after pod-1 stopped");
      assertThat(journal.read(run.runId()).records()).as("pod-1 journaled no further target")
          .noneMatch(r -> r.is(RecordType.CHECKPOINT) && "2".equals(r.data().get("value")));
    }
  }

  // ------------------------------------------------------------------ helpers

  /** Waits (real time, bounded by {@link #runTimeout()}) until the system reads as the run's first target, {@link #changedState()}. */
  /**
   * Waits until pod-1 has written its first target and read it back: only then is it in its pause.
   * Seeing the target on the system is not enough, since pod-1 may not have read it back yet, and
   * would then read pod-2's write and fail on the mismatch before it learns that it lost the lease.
   */
  private void awaitFirstTarget(StateAdapter<S> adapter, RollbackRun run, ReadBackWatch<S> pod1) throws Exception {
    long until = System.nanoTime() + runTimeout().toNanos();
    while (pod1.readsAfterApply.get() == 0 || !adapter.matches(changedState(), adapter.read(FakeStepContext.create()))) {
      if (run.result().isDone()) {
        throw new AssertionError("the run ended " + run.result().join().outcome() + " before its first target: "
            + run.result().join().summary());
      }
      if (System.nanoTime() > until) throw new AssertionError("the run did not reach its first target within " + runTimeout());
      try {
        run.result().get(10, java.util.concurrent.TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException | InterruptedException | java.util.concurrent.ExecutionException e) {
        // still running: look again
      }
    }
  }

  /** The adapter under test, counting the reads its step makes after its first write. */
  private static final class ReadBackWatch<S> implements StateAdapter<S> {
    private final StateAdapter<S> adapter;
    private final String stepPath;
    private final java.util.concurrent.atomic.AtomicInteger applies = new java.util.concurrent.atomic.AtomicInteger();
    final java.util.concurrent.atomic.AtomicInteger readsAfterApply = new java.util.concurrent.atomic.AtomicInteger();

    ReadBackWatch(StateAdapter<S> adapter, String stepPath) {
      this.adapter = adapter;
      this.stepPath = stepPath;
    }

    @Override public String describe() { return adapter.describe(); }
    @Override public String describe(S state) { return adapter.describe(state); }
    @Override public dev.rollback.spi.SnapshotCodec<S> codec() { return adapter.codec(); }
    @Override public boolean matches(S target, S actual) { return adapter.matches(target, actual); }
    @Override public dev.rollback.spi.Settled settled(S target, dev.rollback.StepContext ctx) throws Exception {
      return adapter.settled(target, ctx);
    }

    @Override public S read(dev.rollback.StepContext ctx) throws Exception {
      S s = adapter.read(ctx);
      if (stepPath.equals(ctx.stepPath()) && applies.get() > 0) readsAfterApply.incrementAndGet();
      return s;
    }

    @Override public void apply(S target, dev.rollback.StepContext ctx) throws Exception {
      adapter.apply(target, ctx);
      if (stepPath.equals(ctx.stepPath())) applies.incrementAndGet();
    }
  }

  private static boolean leaseLostIn(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) if (c instanceof LeaseLostException) return true;
    return false;
  }

  private static RollbackPlan plan(Step step, FailurePolicy policy) {
    return RollbackPlan.builder("adapter-contract").sequential(STAGE, s -> s.step(step)).withFailurePolicy(policy).build();
  }

  /** Puts the system in {@code state} with a derived step on a throwaway engine. */
  private void startIn(StateAdapter<S> adapter, S state) throws Exception {
    try (RollbackEngine engine = RollbackEngine.builder().build()) {
      runOrFail(engine, plan(steps(adapter).restore("put the system in the test's state", state), FailurePolicy.CONTINUE));
    }
    assertMatches(adapter, state, "at the start of the test");
  }

  private RollbackResult runOrFail(RollbackEngine engine, RollbackPlan plan) {
    return runOrFail(engine, plan, RunOptions.defaults());
  }

  private RollbackResult runOrFail(RollbackEngine engine, RollbackPlan plan, RunOptions options) {
    RollbackResult r = engine.start(plan, DEPLOYMENT, options).await(runTimeout());
    assertThat(r.outcome()).as("run of %s: %s", plan.name(), r.summary()).isEqualTo(RunOutcome.RECOVERED);
    return r;
  }

  private void assertMatches(StateAdapter<S> adapter, S expected, String when) throws Exception {
    S actual = adapter.read(FakeStepContext.create());
    assertThat(adapter.matches(expected, actual))
        .as("%s %s: expected %s, read %s", adapter.describe(), when, adapter.describe(expected), adapter.describe(actual))
        .isTrue();
  }

  private Reconciliation reconcile(RollbackPlan plan) throws Exception {
    Step step = plan.stages().get(0).steps().get(0);
    return step.reconciler().orElseThrow(() -> new AssertionError("the derived step has no reconciler"))
        .reconcile(FakeStepContext.builder().withStepPath(STAGE + "/" + step.name()).build());
  }

  /**
   * Runs {@code plan} to the end, then returns its journal cut right after the STEP_STARTED of its
   * step: what a crash between the write and its outcome record leaves.
   */
  private InMemoryJournal crashedAfterTheWrite(RollbackPlan plan, String runId) {
    InMemoryJournal full = InMemoryJournal.create();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(full).build()) {
      RollbackResult r = engine.start(plan, DEPLOYMENT, RunOptions.defaults().withRunId(runId)).await(runTimeout());
      assertThat(r.outcome()).as(r.summary()).isEqualTo(RunOutcome.RECOVERED);
    }
    String path = STAGE + "/" + plan.stages().get(0).steps().get(0).name();
    byte[] bytes = full.bytes(runId);
    int pos = 0;
    for (JournalRecord r : full.read(runId).records()) {
      int end = pos;
      while (end < bytes.length && bytes[end] != '\n') end++;
      end++;
      if (r.is(RecordType.STEP_STARTED) && path.equals(r.step())) {
        return InMemoryJournal.withBytes(runId, Arrays.copyOf(bytes, end));
      }
      pos = end;
    }
    throw new AssertionError("the journal of run " + runId + " has no STEP_STARTED of " + path);
  }
}
