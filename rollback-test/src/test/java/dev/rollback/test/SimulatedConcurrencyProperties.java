package dev.rollback.test;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.GateKind;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StageBuilder;
import dev.rollback.Step;
import dev.rollback.StepOutcome;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Random plan shapes under {@link Simulation}: steps of random virtual duration in sequential and
 * parallel stages, some failing, under CONTINUE and ABANDON (the abandon gate answered PROCEED by
 * script). The run ends without an internal error; every attempt's start has one outcome; outcomes
 * agree with the journal and with what the actions did; an abandoned run undoes what succeeded, in
 * reverse plan order.
 */
class SimulatedConcurrencyProperties {

  record StepSpec(int seconds, boolean fails) {}

  record StageSpec(boolean parallel, List<StepSpec> steps) {}

  record PlanSpec(List<StageSpec> stages, boolean abandon) {}

  @Provide
  Arbitrary<PlanSpec> plans() {
    Arbitrary<StepSpec> step = Combinators.combine(Arbitraries.integers().between(0, 30),
        Arbitraries.integers().between(0, 9).map(i -> i == 0)).as(StepSpec::new);
    Arbitrary<StageSpec> stage = Combinators.combine(Arbitraries.of(true, false), step.list().ofMinSize(1).ofMaxSize(5))
        .as(StageSpec::new);
    return Combinators.combine(stage.list().ofMinSize(1).ofMaxSize(4), Arbitraries.of(true, false)).as(PlanSpec::new);
  }

  @Property(tries = 100)
  void outcomesJournalAndUndoOrderAgreeOnVirtualTime(@ForAll("plans") PlanSpec spec) {
    List<String> log = Collections.synchronizedList(new ArrayList<>());
    RollbackPlan.Builder b = RollbackPlan.builder("random");
    for (int i = 0; i < spec.stages().size(); i++) {
      StageSpec st = spec.stages().get(i);
      String stage = "stage" + i;
      java.util.function.Consumer<dev.rollback.StageBuilder> steps = s -> {
        for (int j = 0; j < st.steps().size(); j++) {
          StepSpec x = st.steps().get(j);
          String path = stage + "/s" + j;
          s.step(Step.builder("s" + j).execute(ctx -> {
            ctx.sleep(Duration.ofSeconds(x.seconds()));
            if (x.fails()) throw new IllegalStateException("scripted failure of " + path);
            log.add("done " + path);
          }).undo(ctx -> log.add("undo " + path)).idempotent().build());
        }
      };
      if (st.parallel()) b.parallel(stage, steps);
      else b.sequential(stage, steps);
    }
    b.withFailurePolicy(spec.abandon() ? FailurePolicy.ABANDON : FailurePolicy.CONTINUE);
    Simulation sim = Simulation.create().answering(GateKind.ABANDON, Decision.PROCEED);

    RollbackResult result = sim.run(b.build(), Deployment.of("svc", "1"));
    List<JournalRecord> records = sim.journal().read(result.runId()).records();

    assertThat(records).extracting(JournalRecord::event).noneMatch(e -> e instanceof JournalEvent.InternalError);
    boolean anyFails = spec.stages().stream().anyMatch(s -> s.steps().stream().anyMatch(StepSpec::fails));
    assertThat(result.outcome()).as(result.summary())
        .isEqualTo(!anyFails ? RunOutcome.RECOVERED : spec.abandon() ? RunOutcome.ABANDONED : RunOutcome.NOT_RECOVERED);
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
    List<String> succeeded = new ArrayList<>();
    for (int i = 0; i < spec.stages().size(); i++) {
      for (int j = 0; j < spec.stages().get(i).steps().size(); j++) {
        String path = "stage" + i + "/s" + j;
        StepOutcome o = result.step(path);
        long done = log.stream().filter(("done " + path)::equals).count();
        long journaled = perStep.getOrDefault(path, List.of()).stream().filter(e -> e instanceof JournalEvent.StepSucceeded).count();
        assertThat(journaled).as("%s: successes journaled vs actions that completed", path).isEqualTo(done);
        if (o instanceof StepOutcome.Succeeded) {
          succeeded.add(path);
        } else if (!(o instanceof StepOutcome.Failed)) {
          assertThat(spec.abandon()).as("%s ended %s", path, o).isTrue();
          assertThat(o).as(path).isInstanceOfAny(StepOutcome.NotRun.class, StepOutcome.Cancelled.class);
        }
      }
    }
    List<String> undone = log.stream().filter(l -> l.startsWith("undo ")).map(l -> l.substring(5)).toList();
    if (result.outcome() == RunOutcome.ABANDONED) {
      Collections.reverse(succeeded);
      assertThat(undone).as("undo order").containsExactlyElementsOf(succeeded);
    } else {
      assertThat(undone).isEmpty();
    }
  }
}
