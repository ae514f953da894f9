package dev.rollback.journal;

import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.Snapshot;
import dev.rollback.journal.JournalEvent.Abandoning;
import dev.rollback.journal.JournalEvent.BudgetExceeded;
import dev.rollback.journal.JournalEvent.CheckpointRecorded;
import dev.rollback.journal.JournalEvent.GateDecided;
import dev.rollback.journal.JournalEvent.GateOpened;
import dev.rollback.journal.JournalEvent.HealthChecked;
import dev.rollback.journal.JournalEvent.Identity;
import dev.rollback.journal.JournalEvent.JournalRepaired;
import dev.rollback.journal.JournalEvent.KnownGoodCaptured;
import dev.rollback.journal.JournalEvent.NoteAdded;
import dev.rollback.journal.JournalEvent.PlanCompleted;
import dev.rollback.journal.JournalEvent.PlanResumed;
import dev.rollback.journal.JournalEvent.PlanStarted;
import dev.rollback.journal.JournalEvent.ReleaseReverting;
import dev.rollback.journal.JournalEvent.RunCreated;
import dev.rollback.journal.JournalEvent.StageStarted;
import dev.rollback.journal.JournalEvent.StepCancelled;
import dev.rollback.journal.JournalEvent.StepFailed;
import dev.rollback.journal.JournalEvent.StepSkipped;
import dev.rollback.journal.JournalEvent.StepStarted;
import dev.rollback.journal.JournalEvent.StepSucceeded;
import dev.rollback.journal.JournalEvent.UndoSnapshotTaken;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A run's history: its journal records folded into what they mean. The one reading of a journal
 * that everything shares — the engine's state while it runs and when it resumes, {@code RunReport},
 * {@code Timeline}, {@code PostMortem} and the guard's look-ups — so they cannot disagree about
 * how long a step took, why a run started or how it ended.
 *
 * <p>Thread-safe: {@link #add} and every reader synchronize on the history; what readers return
 * is immutable.
 */
public final class RunHistory {

  /** Where a step stands. */
  public enum StepStatus { NOT_STARTED, STARTED, SUCCEEDED, FAILED, CANCELLED, SKIPPED }

  /** One record and what it says. */
  public record Entry(JournalRecord record, JournalEvent event) {
    public Instant at() { return record.at(); }
    public long seq() { return record.seq(); }
    public String step() { return record.step() == null ? "" : record.step(); }
  }

  /** An event of a known type and when it was written. */
  public record Stamped<E extends JournalEvent>(Instant at, long seq, E event) {}

  /**
   * One step path's history. {@link #duration()} is the step's duration wherever it is shown:
   * from the start of its first attempt to its outcome, retries included.
   */
  public record StepHistory(String path, StepStatus status, int attempts, int cycleBase, boolean finalFailure,
      boolean inDoubt, boolean reconciled, String how, String error, String skipReason,
      @Nullable Instant firstStartedAt, @Nullable Instant lastStartedAt, @Nullable Instant finishedAt,
      List<String> notes) {
    public StepHistory {
      notes = notes.isEmpty() ? List.of() : List.copyOf(notes);
    }

    static StepHistory firstStarted(String path, int attempt, Instant at) {
      return new StepHistory(path, StepStatus.STARTED, Math.max(0, attempt), 0, false, false, false, "", "", "", at, at, null, List.of());
    }

    static StepHistory notStarted(String path) {
      return new StepHistory(path, StepStatus.NOT_STARTED, 0, 0, false, false, false, "", "", "", null, null, null, List.of());
    }

    public boolean isDone() {
      return status == StepStatus.SUCCEEDED;
    }

    /** Failed for good (its last attempt failed and no retry followed), or skipped. */
    public boolean isFailedOrSkipped() {
      return (status == StepStatus.FAILED && finalFailure) || status == StepStatus.SKIPPED;
    }

    /** From the first attempt's start to the outcome; empty while it runs or if it never started. */
    public Optional<Duration> duration() {
      if (firstStartedAt == null || finishedAt == null || status == StepStatus.STARTED) return Optional.empty();
      // what Duration.between gives, from the seconds and the nanoseconds apart: no detour through
      // a long count of nanoseconds (at the end of a run this is read for every step)
      return Optional.of(Duration.ofSeconds(finishedAt.getEpochSecond() - firstStartedAt.getEpochSecond(),
          (long) finishedAt.getNano() - firstStartedAt.getNano()));
    }

    StepHistory started(int attempt, Instant at) {
      return new StepHistory(path, StepStatus.STARTED, Math.max(attempts, attempt), cycleBase, false, false, false, how,
          error, skipReason, firstStartedAt == null ? at : firstStartedAt, at, null, notes);
    }

    StepHistory succeeded(boolean rec, String how, Instant at) {
      return new StepHistory(path, StepStatus.SUCCEEDED, attempts, cycleBase, false, false, rec, how, error, skipReason,
          firstStartedAt, lastStartedAt, at, notes);
    }

    StepHistory failed(boolean last, boolean timedOut, String err, Instant at) {
      return new StepHistory(path, StepStatus.FAILED, attempts, cycleBase, last, timedOut, false, how, err, skipReason,
          firstStartedAt, lastStartedAt, at, notes);
    }

    StepHistory cancelled(String reason, Instant at) {
      return new StepHistory(path, StepStatus.CANCELLED, attempts, cycleBase, false, true, false, how, reason,
          skipReason, firstStartedAt, lastStartedAt, at, notes);
    }

    StepHistory skipped(String reason, Instant at) {
      return new StepHistory(path, StepStatus.SKIPPED, attempts, cycleBase, finalFailure, false, false, how, error,
          reason, firstStartedAt, lastStartedAt, at, notes);
    }

    StepHistory newCycle() {
      return new StepHistory(path, status, attempts, attempts, finalFailure, inDoubt, reconciled, how, error, skipReason,
          firstStartedAt, lastStartedAt, finishedAt, notes);
    }

    StepHistory noted(String note) {
      List<String> n = new ArrayList<>(notes);
      n.add(note);
      return new StepHistory(path, status, attempts, cycleBase, finalFailure, inDoubt, reconciled, how, error,
          skipReason, firstStartedAt, lastStartedAt, finishedAt, n);
    }
  }

  /** One gate: the question, and the decision once taken. */
  public record GateHistory(String id, String gate, @Nullable GateKind kind, String step, String question,
      List<Decision> options, @Nullable Instant openedAt, @Nullable Instant deadline, @Nullable Decision onTimeout,
      boolean onTimeoutChosenByAuthor, @Nullable Decision decision, String actor, boolean timedOut,
      @Nullable Instant decidedAt) {
    public GateHistory {
      options = List.copyOf(options);
    }

    public boolean isDecided() {
      return decision != null;
    }
  }

  /**
   * The soak after the rollback: when it started, its window and interval, what it watched, and
   * (once it ended) whether recovery held, with the evidence.
   */
  public record SoakHistory(Instant startedAt, Duration window, Duration interval, List<String> checks,
      List<String> triggers, @Nullable Instant endedAt, boolean held, String evidence) {
    public SoakHistory {
      checks = List.copyOf(checks);
      triggers = List.copyOf(triggers);
    }

    public boolean isEnded() {
      return endedAt != null;
    }

    /** When the soak's window ends. */
    public Instant endsAt() {
      return startedAt.plus(window);
    }
  }

  private final List<Entry> entries = new ArrayList<>();
  private final List<String> problems = new ArrayList<>();
  private String runId = "";
  private @Nullable Identity identity;
  private String reason = "";
  private @Nullable Instant createdAt;
  private @Nullable Instant startedAt;
  private boolean created;
  private boolean started;
  private final Map<String, Snapshot> knownGood = new LinkedHashMap<>();
  private final Map<String, Snapshot> undoSnapshots = new HashMap<>();
  private final Map<String, Map<String, String>> checkpoints = new HashMap<>();
  private final Map<String, StepHistory> steps = new LinkedHashMap<>();
  private final Map<String, GateHistory> gates = new LinkedHashMap<>();
  private final Set<String> stagesStarted = new HashSet<>();
  private final Set<String> gatesPassed = new HashSet<>();
  private boolean reverting;
  private String revertReason = "";
  private boolean abandoning;
  private String abandonReason = "";
  private boolean budgetExceeded;
  private @Nullable PlanCompleted completed;
  private @Nullable SoakHistory soak;
  private @Nullable Instant endedAt;
  private long lastSeq;
  private long highestFence;
  /** How many steps now stand failed for good, or skipped. */
  private int stepsFailedOrSkipped;

  /** An empty history, to {@link #add} records to as they are written. */
  public RunHistory() {}

  /** The history of one run's records, in journal order. */
  public static RunHistory of(List<JournalRecord> records) {
    RunHistory h = new RunHistory();
    for (JournalRecord r : records) h.add(r);
    return h;
  }

  /** The history of what reading a run gave, its problems (a torn tail) included. */
  public static RunHistory of(JournalRead read) {
    RunHistory h = of(read.records());
    h.problems.addAll(read.problems());
    return h;
  }

  /** Folds one more record of the run into the history. */
  public synchronized void add(JournalRecord r) {
    add(r, r.event());
  }

  /** Folds a record whose event the caller already has (a writer, as it appends). */
  public synchronized void add(JournalRecord r, JournalEvent e) {
    if (!runId.isEmpty() && !runId.equals(r.runId())) {
      throw new IllegalArgumentException("record " + r.seq() + " belongs to run " + r.runId() + ", not to " + runId);
    }
    runId = r.runId();
    entries.add(new Entry(r, e));
    lastSeq = Math.max(lastSeq, r.seq());
    highestFence = Math.max(highestFence, r.fence());
    Instant at = r.at();
    if (e instanceof StepStarted x) {
      StepHistory before = steps.get(x.path());
      putStep(x.path(), before != null ? before.started(x.attempt(), at) : StepHistory.firstStarted(x.path(), x.attempt(), at));
    } else if (e instanceof StepSucceeded x) {
      putStep(x.path(), step(x.path()).succeeded(x.reconciled(), x.how(), at));
    } else if (e instanceof StepFailed x) {
      putStep(x.path(), step(x.path()).failed(x.last(), x.timedOut(), x.error(), at));
    } else if (e instanceof StepCancelled x) {
      putStep(x.path(), step(x.path()).cancelled(x.reason(), at));
    } else if (e instanceof StepSkipped x) {
      putStep(x.path(), step(x.path()).skipped(x.reason(), at));
    } else if (e instanceof NoteAdded x) {
      if (x.stepPath() != null) putStep(x.stepPath(), step(x.stepPath()).noted(x.message()));
    } else if (e instanceof StageStarted x) {
      stagesStarted.add(x.path());
    } else if (e instanceof UndoSnapshotTaken x) {
      undoSnapshots.put(x.path(), x.snapshot());
    } else if (e instanceof CheckpointRecorded x) {
      checkpoints.computeIfAbsent(x.path(), k -> new LinkedHashMap<>()).put(x.key(), x.value());
    } else if (e instanceof KnownGoodCaptured x) {
      knownGood.put(x.path(), x.snapshot());
    } else if (e instanceof RunCreated x) {
      created = true;
      if (createdAt == null) createdAt = at;
      identity = x.identity();
    } else if (e instanceof PlanStarted x) {
      started = true;
      startedAt = at;
      if (createdAt == null) createdAt = at;
      identity = x.identity();
      reason = x.reason();
    } else if (e instanceof PlanResumed) {
      completed = null;
      endedAt = null;
    } else if (e instanceof GateOpened x) {
      GateHistory old = gates.get(x.gateId());
      gates.put(x.gateId(), new GateHistory(x.gateId(), x.gate(), x.kind(), x.path(), x.question(), x.options(), at,
          x.deadline(), x.onTimeout(), x.onTimeoutChosenByAuthor(), old == null ? null : old.decision(),
          old == null ? "" : old.actor(), old != null && old.timedOut(), old == null ? null : old.decidedAt()));
    } else if (e instanceof GateDecided x) {
      GateHistory old = gates.get(x.gateId());
      String stepOfGate = old != null && !old.step().isEmpty() ? old.step() : x.path();
      gates.put(x.gateId(), new GateHistory(x.gateId(), old == null ? "" : old.gate(), old == null ? null : old.kind(),
          stepOfGate, old == null ? "" : old.question(), old == null ? List.of() : old.options(),
          old == null ? null : old.openedAt(), old == null ? null : old.deadline(), old == null ? null : old.onTimeout(),
          old != null && old.onTimeoutChosenByAuthor(), x.decision(), x.actor(), x.timedOut(), at));
      GateKind kind = old == null ? null : old.kind();
      if (x.decision() == Decision.RETRY && !stepOfGate.isEmpty()
          && (kind == GateKind.STEP_FAILED || kind == GateKind.IN_DOUBT)) {
        putStep(stepOfGate, step(stepOfGate).newCycle());
      }
    } else if (e instanceof HealthChecked x) {
      if (x.gatePassed()) gatesPassed.add(x.path());
    } else if (e instanceof ReleaseReverting x) {
      reverting = true;
      revertReason = x.reason();
    } else if (e instanceof Abandoning x) {
      abandoning = true;
      abandonReason = x.reason();
    } else if (e instanceof BudgetExceeded) {
      budgetExceeded = true;
    } else if (e instanceof JournalRepaired x) {
      problems.add(x.problem());
    } else if (e instanceof JournalEvent.SoakStarted x) {
      soak = new SoakHistory(at, x.window(), x.interval(), x.checks(), x.triggers(), null, false, "");
    } else if (e instanceof JournalEvent.SoakEnded x) {
      if (soak != null) {
        soak = new SoakHistory(soak.startedAt(), soak.window(), soak.interval(), soak.checks(), soak.triggers(), at,
            x.held(), x.evidence());
      }
    } else if (e instanceof PlanCompleted x) {
      completed = x;
      endedAt = at;
    }
  }

  private void putStep(String path, StepHistory now) {
    StepHistory before = steps.put(path, now);
    stepsFailedOrSkipped += (now.isFailedOrSkipped() ? 1 : 0) - (before != null && before.isFailedOrSkipped() ? 1 : 0);
  }

  private StepHistory step(String path) {
    StepHistory s = steps.get(path);
    return s != null ? s : StepHistory.notStarted(path);
  }

  // ------------------------------------------------------------------ readers

  public synchronized String runId() { return runId; }

  /** Who and what the run is for, from its first RUN_CREATED or PLAN_STARTED; empty before either. */
  public synchronized Optional<Identity> identity() { return Optional.ofNullable(identity); }

  public synchronized String mode() { return identity == null ? "" : identity.mode(); }
  public synchronized String plan() { return identity == null ? "" : identity.plan(); }
  public synchronized String deployment() { return identity == null ? "" : identity.deployment(); }
  public synchronized String fingerprint() { return identity == null ? "" : identity.fingerprint(); }

  /** Why the run started: the reason journaled with PLAN_STARTED (a trigger's evidence, the caller's reason). */
  public synchronized String reason() { return reason; }

  public synchronized boolean isCreated() { return created; }
  public synchronized boolean isStarted() { return started; }
  public synchronized Optional<Instant> createdAt() { return Optional.ofNullable(createdAt); }
  public synchronized Optional<Instant> startedAt() { return Optional.ofNullable(startedAt); }

  /** The run has ended (a PLAN_COMPLETED not followed by a resume). */
  public synchronized boolean isCompleted() { return completed != null; }
  public synchronized Optional<String> outcome() { return completed == null ? Optional.empty() : Optional.of(completed.outcome()); }
  public synchronized String summary() { return completed == null ? "" : completed.summary(); }
  public synchronized Optional<String> haltedAt() { return completed == null ? Optional.empty() : Optional.ofNullable(completed.haltedAt()); }
  public synchronized Optional<Instant> endedAt() { return Optional.ofNullable(endedAt); }

  /**
   * False when the run ended RECOVERED but nothing defined "recovered" (no check, no soak): its
   * reports say "not verified". True otherwise, also before the end and for records written
   * before this was journaled.
   */
  public synchronized boolean isVerified() { return completed == null || completed.verified(); }

  /** The soak after the rollback, if one started. */
  public synchronized Optional<SoakHistory> soak() { return Optional.ofNullable(soak); }

  /** From the plan's start (else the run's creation) to its end. */
  public synchronized Optional<Duration> elapsed() {
    Instant from = startedAt != null ? startedAt : createdAt;
    return from == null || endedAt == null ? Optional.empty() : Optional.of(Duration.between(from, endedAt));
  }

  public synchronized Optional<Snapshot> knownGood(String path) { return Optional.ofNullable(knownGood.get(path)); }
  public synchronized Map<String, Snapshot> knownGood() { return Collections.unmodifiableMap(new LinkedHashMap<>(knownGood)); }
  public synchronized Optional<Snapshot> undoSnapshot(String path) { return Optional.ofNullable(undoSnapshots.get(path)); }

  public synchronized Map<String, String> checkpoints(String path) {
    Map<String, String> c = checkpoints.get(path);
    return c == null ? Map.of() : Map.copyOf(c);
  }

  /** The step's history; {@link StepStatus#NOT_STARTED} when the journal has nothing of it. */
  public synchronized StepHistory stepHistory(String path) { return step(path); }

  /**
   * How many steps stand failed for good (their last attempt failed and no retry followed) or
   * skipped; 0 when every step that ran succeeded or still runs.
   */
  public synchronized int failedOrSkippedSteps() { return stepsFailedOrSkipped; }

  /** Every step path the journal mentions, in the order each first appeared. */
  public synchronized List<StepHistory> steps() { return List.copyOf(steps.values()); }

  public synchronized boolean stageStarted(String stage) { return stagesStarted.contains(stage); }

  /** A health gate or bake that passed (so a resumed release does not wait at it again). */
  public synchronized boolean gatePassed(String name) { return gatesPassed.contains(name); }

  public synchronized Optional<GateHistory> gate(String id) { return Optional.ofNullable(gates.get(id)); }
  public synchronized List<GateHistory> gates() { return List.copyOf(gates.values()); }

  public synchronized boolean isReverting() { return reverting; }
  public synchronized String revertReason() { return revertReason; }
  public synchronized boolean isAbandoning() { return abandoning; }
  public synchronized String abandonReason() { return abandonReason; }
  public synchronized boolean budgetExceeded() { return budgetExceeded; }

  public synchronized long lastSeq() { return lastSeq; }
  public synchronized long highestFence() { return highestFence; }

  /** Problems met reading the journal (a torn tail) and repairs journaled since. */
  public synchronized List<String> problems() { return List.copyOf(problems); }

  /** Every record and what it says, in journal order. */
  public synchronized List<Entry> entries() { return List.copyOf(entries); }

  /** The events of one type, in journal order. */
  public synchronized <E extends JournalEvent> List<Stamped<E>> events(Class<E> type) {
    List<Stamped<E>> out = new ArrayList<>();
    for (Entry e : entries) {
      if (type.isInstance(e.event())) out.add(new Stamped<>(e.at(), e.seq(), type.cast(e.event())));
    }
    return out;
  }

  /** Resumes of the run, in order. */
  public synchronized List<Stamped<PlanResumed>> resumes() { return events(PlanResumed.class); }

  @Override
  public synchronized String toString() {
    return "RunHistory[" + runId + ", " + entries.size() + " records" + (completed == null ? "" : ", " + completed.outcome()) + "]";
  }
}
