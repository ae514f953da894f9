package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StageBuilder;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random plan shapes — sequential and parallel stages, steps of random duration on real threads,
 * some failing — under both CONTINUE and ABANDON. Whatever the interleaving: the run ends without
 * an internal error; every attempt's start in the journal has exactly one outcome; each step's
 * outcome agrees with the journal and with what its action did; an abandoned run undoes exactly
 * the steps that succeeded, in reverse plan order.
 */
class ConcurrencyProperties {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static ExecutorService executor;

  @BeforeContainer
  static void startExecutor() {
    executor = Executors.newCachedThreadPool();
  }

  @AfterContainer
  static void stopExecutor() {
    executor.shutdownNow();
  }

  /** A step: how long its action takes (ms) and whether it fails. */
  record StepSpec(int millis, boolean fails) {}

  record StageSpec(boolean parallel, List<StepSpec> steps) {}

  record PlanSpec(List<StageSpec> stages, boolean abandon) {}

  @Provide
  Arbitrary<PlanSpec> plans() {
    Arbitrary<StepSpec> step = Combinators.combine(Arbitraries.integers().between(0, 3),
        Arbitraries.integers().between(0, 9).map(i -> i == 0)).as(StepSpec::new);
    Arbitrary<StageSpec> stage = Combinators.combine(Arbitraries.of(true, false), step.list().ofMinSize(1).ofMaxSize(5))
        .as(StageSpec::new);
    return Combinators.combine(stage.list().ofMinSize(1).ofMaxSize(4), Arbitraries.of(true, false)).as(PlanSpec::new);
  }

  @Property(tries = 150)
  void outcomesJournalAndUndoOrderAgreeOnRealThreads(@ForAll("plans") PlanSpec spec) {
    World world = new World();
    RollbackPlan plan = build(spec, world);
    InMemoryJournal journal = InMemoryJournal.create();
    RollbackResult result;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).withExecutor(executor).build()) {
      result = engine.start(plan, Deployment.of("svc", "1"), RunOptions.defaults().withRunId("r").withReason("property"))
          .await(HANG_GUARD);
    }
    check(spec, plan, world, result, journal.read("r").records());
  }

  static RollbackPlan build(PlanSpec spec, World world) {
    RollbackPlan.Builder b = RollbackPlan.builder("random");
    for (int i = 0; i < spec.stages().size(); i++) {
      StageSpec st = spec.stages().get(i);
      String stage = "stage" + i;
      java.util.function.Consumer<dev.rollback.StageBuilder> steps = s -> {
        for (int j = 0; j < st.steps().size(); j++) {
          StepSpec x = st.steps().get(j);
          String path = stage + "/s" + j;
          s.step(Step.builder("s" + j).execute(ctx -> {
            ctx.sleep(Duration.ofMillis(x.millis()));
            if (x.fails()) throw new IllegalStateException("scripted failure of " + path);
            world.log.add("done " + path);
          }).undo(ctx -> world.log.add("undo " + path)).idempotent().build());
        }
      };
      if (st.parallel()) b.parallel(stage, steps);
      else b.sequential(stage, steps);
    }
    if (spec.abandon()) {
      b.withFailurePolicy(FailurePolicy.ABANDON)
          .withAbandonGate(Gate.named("abandon").withTimeout(Duration.ofMillis(1)).withTimeoutDecision(Decision.PROCEED));
    } else {
      b.withFailurePolicy(FailurePolicy.CONTINUE);
    }
    return b.build();
  }

  static void check(PlanSpec spec, RollbackPlan plan, World world, RollbackResult result, List<JournalRecord> records) {
    assertThat(records).extracting(r -> r.event()).noneMatch(e -> e instanceof JournalEvent.InternalError);
    boolean anyFails = spec.stages().stream().anyMatch(s -> s.steps().stream().anyMatch(StepSpec::fails));
    RunOutcome expected = !anyFails ? RunOutcome.RECOVERED : spec.abandon() ? RunOutcome.ABANDONED : RunOutcome.NOT_RECOVERED;
    assertThat(result.outcome()).as(result.summary()).isEqualTo(expected);

    // every attempt's start has exactly one outcome, in order, per step
    Map<String, List<JournalEvent>> perStep = new LinkedHashMap<>();
    for (JournalRecord r : records) {
      JournalEvent e = r.event();
      if (e instanceof JournalEvent.StepStarted || e instanceof JournalEvent.StepSucceeded
          || e instanceof JournalEvent.StepFailed || e instanceof JournalEvent.StepCancelled) {
        perStep.computeIfAbsent(r.step(), k -> new ArrayList<>()).add(e);
      }
    }
    perStep.forEach((path, events) -> {
      assertThat(events.size() % 2).as("%s: %s", path, events).isZero();
      for (int i = 0; i < events.size(); i += 2) {
        assertThat(events.get(i)).as("%s: %s", path, events).isInstanceOf(JournalEvent.StepStarted.class);
        assertThat(events.get(i + 1)).as("%s: %s", path, events).isNotInstanceOf(JournalEvent.StepStarted.class);
      }
    });

    List<String> succeededInPlanOrder = new ArrayList<>();
    for (int i = 0; i < spec.stages().size(); i++) {
      for (int j = 0; j < spec.stages().get(i).steps().size(); j++) {
        String path = "stage" + i + "/s" + j;
        StepOutcome o = result.step(path);
        List<JournalEvent> events = perStep.getOrDefault(path, List.of());
        long done = world.log.stream().filter(("done " + path)::equals).count();
        long succeededRecords = events.stream().filter(e -> e instanceof JournalEvent.StepSucceeded).count();
        assertThat(succeededRecords).as("%s: successes journaled vs actions that completed", path).isEqualTo(done);
        if (o instanceof StepOutcome.Succeeded) {
          assertThat(done).as(path).isEqualTo(1);
          assertThat(o.attempts()).as(path).isEqualTo(events.size() / 2);
          succeededInPlanOrder.add(path);
        } else if (o instanceof StepOutcome.Failed) {
          assertThat(events).as(path).last().isInstanceOf(JournalEvent.StepFailed.class);
          assertThat(done).as(path).isZero();
        } else {
          // only an abandoned run leaves steps behind: never started, or cut off by a failing sibling
          assertThat(spec.abandon()).as("%s ended %s", path, o).isTrue();
          assertThat(o).as(path).isInstanceOfAny(StepOutcome.NotRun.class, StepOutcome.Cancelled.class);
          assertThat(done).as(path).isZero();
        }
      }
    }
    List<String> undone = world.log.stream().filter(l -> l.startsWith("undo ")).map(l -> l.substring(5)).toList();
    if (result.outcome() == RunOutcome.ABANDONED) {
      List<String> reverse = new ArrayList<>(succeededInPlanOrder);
      Collections.reverse(reverse);
      assertThat(undone).as("undo order").containsExactlyElementsOf(reverse);
    } else {
      assertThat(undone).isEmpty();
    }
  }
}
