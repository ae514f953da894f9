package dev.rollback.internal;

import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.Snapshot;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Everything a run decided and did, folded from its journal records. The engine keeps it up to
 * date as it appends, and rebuilds it from the journal on resume, so both paths see one truth.
 */
public final class RunState {

  public enum Status { NOT_STARTED, STARTED, SUCCEEDED, FAILED, CANCELLED, SKIPPED }

  /** One step path's history. */
  public static final class StepRec {
    public Status status = Status.NOT_STARTED;
    public int attempts;
    /** Attempts before the current retry cycle (a human's RETRY starts a new cycle). */
    public int cycleBase;
    public boolean finalFailure;
    public boolean inDoubt;
    public boolean reconciled;
    public String error = "";
    public String skipReason = "";
    public @Nullable Instant firstStartedAt;
    public @Nullable Instant finishedAt;
    public long durationMillis;

    public boolean isDone() {
      return status == Status.SUCCEEDED;
    }
  }

  /** One gate's history. */
  public static final class GateRec {
    public final String id;
    public String kind = "";
    public String step = "";
    public @Nullable Decision decision;
    public String actor = "";
    public boolean timedOut;
    public @Nullable Instant decidedAt;

    GateRec(String id) {
      this.id = id;
    }
  }

  public String mode = "";
  public String plan = "";
  public String service = "";
  public String version = "";
  public String fingerprint = "";
  public List<String> outline = List.of();
  public String reason = "";
  public boolean created;
  public boolean started;
  public @Nullable Instant createdAt;
  public @Nullable Instant startedAt;
  public @Nullable String completedOutcome;
  public boolean reverting;
  public String revertReason = "";
  public boolean abandoning;
  public String abandonReason = "";
  public boolean budgetExceeded;
  public long lastSeq;
  public long highestFence;
  public final Map<String, Snapshot> knownGood = new HashMap<>();
  public final Map<String, Snapshot> undoSnapshots = new HashMap<>();
  public final Map<String, Map<String, String>> checkpoints = new HashMap<>();
  public final Map<String, StepRec> steps = new LinkedHashMap<>();
  public final Map<String, GateRec> gates = new LinkedHashMap<>();
  public final Set<String> stagesStarted = new HashSet<>();
  public final Set<String> healthGatesPassed = new HashSet<>();
  public final List<String> problems = new ArrayList<>();

  public StepRec step(String path) {
    return steps.computeIfAbsent(path, p -> new StepRec());
  }

  public static RunState of(List<JournalRecord> records) {
    RunState s = new RunState();
    for (JournalRecord r : records) s.apply(r);
    return s;
  }

  /** Folds one record into the state. Unknown record types are ignored (a newer writer). */
  public void apply(JournalRecord r) {
    RecordType type = RecordType.parse(r.type());
    if (type == null) {
      lastSeq = Math.max(lastSeq, r.seq());
      highestFence = Math.max(highestFence, r.fence());
      return;
    }
    apply(r, type);
  }

  /** Folds a record whose type the caller already knows (the engine, as it appends). */
  public void apply(JournalRecord r, RecordType type) {
    lastSeq = Math.max(lastSeq, r.seq());
    highestFence = Math.max(highestFence, r.fence());
    String path = r.step() == null ? "" : r.step();
    switch (type) {
      case RUN_CREATED -> {
        created = true;
        createdAt = r.at();
        readIdentity(r);
      }
      case KNOWN_GOOD -> knownGood.put(path, Snapshot.of(r.map("snapshot")));
      case PLAN_STARTED -> {
        started = true;
        startedAt = r.at();
        if (createdAt == null) createdAt = r.at();
        readIdentity(r);
        reason = r.stringOr("reason", "");
      }
      case PLAN_RESUMED -> completedOutcome = null;
      case STAGE_STARTED -> stagesStarted.add(path);
      case UNDO_SNAPSHOT -> undoSnapshots.put(path, Snapshot.of(r.map("snapshot")));
      case CHECKPOINT -> checkpoints.computeIfAbsent(path, k -> new LinkedHashMap<>())
          .put(r.stringOr("key", ""), r.stringOr("value", ""));
      case STEP_STARTED -> {
        StepRec s = step(path);
        s.status = Status.STARTED;
        s.attempts = Math.max(s.attempts, (int) r.longOr("attempt", s.attempts + 1));
        s.finalFailure = false;
        s.inDoubt = false;
        if (s.firstStartedAt == null) s.firstStartedAt = r.at();
      }
      case STEP_SUCCEEDED -> {
        StepRec s = step(path);
        s.status = Status.SUCCEEDED;
        s.reconciled = r.flag("reconciled") || r.has("markedDoneBy");
        s.inDoubt = false;
        s.finishedAt = r.at();
        s.durationMillis = r.longOr("millis", 0);
      }
      case STEP_FAILED -> {
        StepRec s = step(path);
        s.status = Status.FAILED;
        s.finalFailure = r.flag("final");
        s.inDoubt = r.flag("timedOut");
        s.error = r.stringOr("error", "");
        s.finishedAt = r.at();
      }
      case STEP_CANCELLED -> {
        StepRec s = step(path);
        s.status = Status.CANCELLED;
        s.inDoubt = true;
        s.error = r.stringOr("reason", "cancelled");
        s.finishedAt = r.at();
      }
      case STEP_SKIPPED -> {
        StepRec s = step(path);
        s.status = Status.SKIPPED;
        s.skipReason = r.stringOr("reason", "");
        s.finishedAt = r.at();
      }
      case GATE_OPENED -> {
        GateRec g = gates.computeIfAbsent(r.stringOr("gateId", ""), GateRec::new);
        g.kind = r.stringOr("kind", "");
        g.step = path;
      }
      case GATE_DECIDED -> {
        GateRec g = gates.computeIfAbsent(r.stringOr("gateId", ""), GateRec::new);
        g.decision = Decision.valueOf(r.stringOr("decision", "HALT"));
        g.actor = r.stringOr("actor", "");
        g.timedOut = r.flag("timedOut");
        g.decidedAt = r.at();
        if (g.decision == Decision.RETRY && !g.step.isEmpty()
            && (GateKind.STEP_FAILED.name().equals(g.kind) || GateKind.IN_DOUBT.name().equals(g.kind))) {
          StepRec s = step(g.step);
          s.cycleBase = s.attempts;
        }
      }
      case HEALTH_CHECKED -> {
        if (r.flag("gatePassed")) healthGatesPassed.add(path);
      }
      case RELEASE_REVERTING -> {
        reverting = true;
        revertReason = r.stringOr("reason", "");
      }
      case ABANDONING -> {
        abandoning = true;
        abandonReason = r.stringOr("reason", "");
      }
      case BUDGET_EXCEEDED -> budgetExceeded = true;
      case JOURNAL_REPAIRED -> problems.add(r.stringOr("problem", "journal repaired"));
      case PLAN_COMPLETED -> completedOutcome = r.stringOr("outcome", "");
      default -> { }
    }
  }

  private void readIdentity(JournalRecord r) {
    mode = r.stringOr("mode", mode);
    plan = r.stringOr("plan", plan);
    service = r.stringOr("service", service);
    version = r.stringOr("version", version);
    fingerprint = r.stringOr("fingerprint", fingerprint);
    List<String> o = r.list("outline");
    if (!o.isEmpty()) outline = o;
  }
}
