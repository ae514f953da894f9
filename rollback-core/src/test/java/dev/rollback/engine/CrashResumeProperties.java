package dev.rollback.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.Change;
import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Crash anywhere: a release runs to the end while every journal append records what the world
 * looked like just before it; then the journal is cut at a random byte, the world is put back to
 * the moment of that cut, and a new engine resumes from the cut journal, with a scripted human
 * who answers in-doubt gates by looking at the world. The world must end exactly as after the
 * uninterrupted run, with the same outcome, and no step that is neither idempotent nor
 * reconcilable may have run twice.
 */
class CrashResumeProperties {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final ExecutorService EXECUTOR = Executors.newCachedThreadPool();
  private static final ScheduledExecutorService SCHEDULER = Executors.newSingleThreadScheduledExecutor();

  @AfterContainer
  static void shutdown() {
    EXECUTOR.shutdownNow();
    SCHEDULER.shutdownNow();
  }

  enum Kind { IDEMPOTENT, RECONCILABLE, NEITHER }

  /** The system the release changes: key -> "new" | "partial"; absent means old. */
  static final class Sim {
    final Map<String, String> values = new ConcurrentHashMap<>();
    final Map<String, Integer> runs = new ConcurrentHashMap<>();

    Sim copy() {
      Sim s = new Sim();
      s.values.putAll(values);
      s.runs.putAll(runs);
      return s;
    }
  }

  static Release release(Sim sim, List<Kind> kinds, int failAt) {
    Release.Builder b = Release.builder("crashy");
    for (int i = 0; i < kinds.size(); i++) {
      String key = "c" + i;
      boolean fails = i == failAt;
      Step.Builder apply = Step.builder("apply").execute(ctx -> {
        sim.runs.merge(key + "/apply", 1, Integer::sum);
        if (fails) {
          sim.values.put(key, "partial");
          throw new IllegalStateException(key + " broke halfway");
        }
        sim.values.put(key, "new");
      });
      Step.Builder revert = Step.builder("revert").execute(ctx -> {
        sim.runs.merge(key + "/revert", 1, Integer::sum);
        sim.values.remove(key);
      });
      switch (kinds.get(i)) {
        case IDEMPOTENT -> {
          apply.idempotent();
          revert.idempotent();
        }
        case RECONCILABLE -> {
          apply.reconcile(ctx -> "new".equals(sim.values.get(key)) ? Reconciliation.APPLIED : Reconciliation.NOT_APPLIED);
          revert.reconcile(ctx -> sim.values.containsKey(key) ? Reconciliation.NOT_APPLIED : Reconciliation.APPLIED);
        }
        case NEITHER -> { }
      }
      b.change(Change.of(key, apply.build(), revert.build()));
    }
    return b.build();
  }

  /** Records, before each append, the bytes written so far and the world at that moment. */
  static final class Recording implements Journal {
    final InMemoryJournal inner = InMemoryJournal.create();
    final Sim sim;
    final List<Integer> offsets = new ArrayList<>();
    final List<Sim> worlds = new ArrayList<>();

    Recording(Sim sim) {
      this.sim = sim;
    }

    @Override
    public synchronized void append(JournalRecord record) {
      offsets.add(inner.size(record.runId()));
      worlds.add(sim.copy());
      inner.append(record);
    }

    @Override public JournalRead read(String runId) { return inner.read(runId); }
    @Override public List<String> runIds() { return inner.runIds(); }
    @Override public String repair(String runId) { return inner.repair(runId); }
  }

  @Property(tries = 1000)
  void resumeAfterACrashAtAnyByteReachesTheSameFinalState(
      @ForAll @Size(min = 1, max = 8) List<Kind> kinds,
      @ForAll @IntRange(min = 0, max = 11) int failAt,
      @ForAll @DoubleRange(min = 0, max = 1) double cutAt) {
    // the uninterrupted run
    Sim reference = new Sim();
    Recording recording = new Recording(reference);
    RollbackResult expected;
    try (RollbackEngine engine = engine(recording, null)) {
      expected = engine.start(release(reference, kinds, failAt), RunOptions.defaults().withRunId("r"))
          .await(HANG_GUARD);
    }
    byte[] all = recording.inner.bytes("r");
    int cut = (int) Math.floor(cutAt * all.length);

    // the world at the moment of the crash
    Sim world = null;
    for (int i = 0; i < recording.offsets.size(); i++) {
      if (recording.offsets.get(i) <= cut) world = recording.worlds.get(i);
    }
    world = cut >= all.length ? reference.copy() : world.copy();
    Map<String, Integer> runsBeforeCrash = new HashMap<>(world.runs);

    InMemoryJournal crashed = InMemoryJournal.withBytes("r", Arrays.copyOf(all, cut));
    JournalRead read = crashed.read("r");
    boolean finished = read.records().stream().anyMatch(r -> r.is(RecordType.PLAN_COMPLETED));
    RunOutcome outcome = expected.outcome();
    if (!finished) {
      Sim w = world;
      Release release = release(w, kinds, failAt);
      RollbackEngine[] self = new RollbackEngine[1];
      try (RollbackEngine engine = engine(crashed, event -> {
        if (event instanceof RollbackEvent.GateOpened g) {
          self[0].answer(g.request().id(), answer(g.request().kind(), g.request().stepPath(), w), "script");
        }
      })) {
        self[0] = engine;
        RollbackResult resumed = read.records().isEmpty()
            ? engine.start(release, RunOptions.defaults().withRunId("r")).await(HANG_GUARD)
            : engine.resume("r", release).await(HANG_GUARD);
        outcome = resumed.outcome();
      }
    }

    assertThat(world.values).as("world after resume (cut at byte %d of %d)", cut, all.length).isEqualTo(reference.values);
    assertThat(outcome).isEqualTo(expected.outcome());
    for (int i = 0; i < kinds.size(); i++) {
      if (kinds.get(i) != Kind.NEITHER) continue;
      for (String phase : List.of("/apply", "/revert")) {
        String step = "c" + i + phase;
        assertThat(world.runs.getOrDefault(step, 0))
            .as("%s ran (before the crash: %d)", step, runsBeforeCrash.getOrDefault(step, 0))
            .isLessThanOrEqualTo(1);
      }
    }
  }

  /** What a human who looks at the system would answer. */
  private static Decision answer(GateKind kind, String path, Sim world) {
    if (kind != GateKind.IN_DOUBT) return Decision.HALT;
    String key = path.substring(0, path.indexOf('/'));
    String value = world.values.get(key);
    if (path.endsWith("/apply")) {
      if ("new".equals(value)) return Decision.SKIP;
      if ("partial".equals(value)) return Decision.FAIL;
      return Decision.RETRY;
    }
    return value == null ? Decision.SKIP : Decision.RETRY;
  }

  private static RollbackEngine engine(Journal journal, dev.rollback.engine.RollbackListener listener) {
    RollbackEngine.Builder b = RollbackEngine.builder().withJournal(journal).withExecutor(EXECUTOR).withScheduler(SCHEDULER);
    if (listener != null) b.withListener(listener);
    return b.build();
  }
}
