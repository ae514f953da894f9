package dev.rollback.journal;

import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.Snapshot;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Verdict;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What one journal record says, typed: one record type per kind of record the engine writes.
 * A {@link JournalRecord} is the envelope (sequence number, run, time, fencing token) and
 * {@link JournalRecord#event()} decodes its body into one of these. A record of a kind this
 * version does not know (written by a newer version) is an {@link Unknown}, kept with its data.
 *
 * <p>The encoding (format 1, {@code "v":1}) is the one every journal shares: each event's fields
 * are written under the keys documented on its type, so files written by earlier versions read
 * the same. Fields a newer writer adds are kept in {@link JournalRecord#data()}.
 */
public sealed interface JournalEvent {

  /** The record type's name as written in the journal ({@code "STEP_STARTED"}). */
  String typeName();

  /** The step path the event belongs to, or empty for a run-level event. */
  default Optional<String> step() {
    return Optional.empty();
  }

  /** An event of a kind this version writes. */
  sealed interface Known extends JournalEvent {
    /** The record type this event is written as. */
    RecordType type();

    @Override
    default String typeName() {
      return type().name();
    }
  }

  /** A step-level event. */
  sealed interface StepEvent extends Known {
    String path();

    @Override
    default Optional<String> step() {
      return Optional.of(path());
    }
  }

  /**
   * Who and what a run is for. Keys: {@code mode} ("rollback" or "release"), {@code plan},
   * {@code deployment}, {@code service}, {@code version}, {@code fingerprint}, {@code outline}.
   */
  record Identity(String mode, String plan, String deployment, String service, String version,
      String fingerprint, List<String> outline) {
    public Identity {
      Objects.requireNonNull(mode, "mode");
      Objects.requireNonNull(plan, "plan");
      Objects.requireNonNull(deployment, "deployment");
      Objects.requireNonNull(service, "service");
      Objects.requireNonNull(version, "version");
      Objects.requireNonNull(fingerprint, "fingerprint");
      outline = List.copyOf(outline);
    }
  }

  /** A run was created before anything changed (a guard armed, a release starting). */
  record RunCreated(Identity identity) implements Known {
    @Override public RecordType type() { return RecordType.RUN_CREATED; }
  }

  /** The known-good state of one step or change, captured before anything changed. Key: {@code snapshot}. */
  record KnownGoodCaptured(String path, Snapshot snapshot) implements StepEvent {
    @Override public RecordType type() { return RecordType.KNOWN_GOOD; }
  }

  /** Execution started, and why (a trigger's evidence, the reason the caller gave). Key: {@code reason}. */
  record PlanStarted(Identity identity, String reason) implements Known {
    @Override public RecordType type() { return RecordType.PLAN_STARTED; }
  }

  /** A halted, cancelled or crashed run continues. Keys: {@code reason}, {@code fingerprint}. */
  record PlanResumed(String reason, String fingerprint) implements Known {
    @Override public RecordType type() { return RecordType.PLAN_RESUMED; }
  }

  /** Key: {@code parallel}. */
  record StageStarted(String path, boolean parallel) implements StepEvent {
    @Override public RecordType type() { return RecordType.STAGE_STARTED; }
  }

  /** Durable before the step's action runs. Key: {@code attempt} (1 for the first). */
  record StepStarted(String path, int attempt) implements StepEvent {
    @Override public RecordType type() { return RecordType.STEP_STARTED; }
  }

  /** The state the step found when it started, for its undo. Key: {@code snapshot}. */
  record UndoSnapshotTaken(String path, Snapshot snapshot) implements StepEvent {
    @Override public RecordType type() { return RecordType.UNDO_SNAPSHOT; }
  }

  /** A durable checkpoint inside a long step. Keys: {@code key}, {@code value}. */
  record CheckpointRecorded(String path, String key, String value) implements StepEvent {
    @Override public RecordType type() { return RecordType.CHECKPOINT; }
  }

  /**
   * The step took effect. Keys: {@code attempt}, {@code reconciled} (the outcome was unknown and
   * reconcile or a human said it had taken effect), {@code how}, {@code markedDoneBy}. The step's
   * duration is the record's time less its first STEP_STARTED's ({@link RunHistory.StepHistory#duration()}).
   */
  record StepSucceeded(String path, int attempt, boolean reconciled, String how, @Nullable String markedDoneBy)
      implements StepEvent {
    @Override public RecordType type() { return RecordType.STEP_SUCCEEDED; }

    public static StepSucceeded ran(String path, int attempt) {
      return new StepSucceeded(path, attempt, false, "", null);
    }
  }

  /**
   * An attempt failed. Keys: {@code attempt}, {@code error}, {@code timedOut} (its outcome is
   * unknown), {@code final} (no retry follows), {@code declared} (a human declared it failed).
   */
  record StepFailed(String path, int attempt, String error, boolean timedOut, boolean last, boolean declared)
      implements StepEvent {
    @Override public RecordType type() { return RecordType.STEP_FAILED; }
  }

  /** The step was interrupted (run cancelled, a sibling failed); its effect is in doubt. Keys: {@code attempt}, {@code reason}. */
  record StepCancelled(String path, int attempt, String reason) implements StepEvent {
    @Override public RecordType type() { return RecordType.STEP_CANCELLED; }
  }

  /** Key: {@code reason}. */
  record StepSkipped(String path, String reason) implements StepEvent {
    @Override public RecordType type() { return RecordType.STEP_SKIPPED; }
  }

  /**
   * A gate opened. Keys: {@code gateId}, {@code gate}, {@code kind}, {@code question},
   * {@code options}, {@code deadline}, {@code onTimeout}, {@code onTimeoutChosenByAuthor}.
   */
  record GateOpened(String path, String gateId, String gate, GateKind kind, String question, List<Decision> options,
      Instant deadline, Decision onTimeout, boolean onTimeoutChosenByAuthor) implements StepEvent {
    public GateOpened {
      options = List.copyOf(options);
    }

    @Override public RecordType type() { return RecordType.GATE_OPENED; }
  }

  /** Keys: {@code gateId}, {@code decision}, {@code actor}, {@code timedOut}. */
  record GateDecided(String path, String gateId, Decision decision, String actor, boolean timedOut) implements StepEvent {
    @Override public RecordType type() { return RecordType.GATE_DECIDED; }
  }

  /**
   * One health check result: a step's check, a health gate's poll, the final verification.
   * Keys: {@code check}, {@code status}, {@code detail}, {@code latencyMillis}, {@code gatePassed}.
   */
  record HealthChecked(String path, String check, HealthStatus status, String detail, long latencyMillis,
      boolean gatePassed) implements StepEvent {
    @Override public RecordType type() { return RecordType.HEALTH_CHECKED; }
  }

  /**
   * A trigger said ROLL_BACK or ASK_HUMAN, with its evidence. Keys: {@code trigger},
   * {@code verdict}, {@code evidence}, {@code facts} (the rule's figures: {@code observed},
   * {@code threshold}, {@code window}, {@code samples} where the rule has them), {@code where}
   * (after which change, or "guard"), {@code deployment} and {@code holder} (a guard's decision).
   */
  record TriggerFired(String trigger, Verdict verdict, String evidence, Map<String, String> facts, String where,
      @Nullable String deployment, @Nullable String holder) implements Known {
    public TriggerFired {
      facts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(facts));
    }

    @Override public RecordType type() { return RecordType.TRIGGER_FIRED; }

    public Optional<String> fact(String key) {
      return Optional.ofNullable(facts.get(key));
    }
  }

  /** A release is being reverted. Key: {@code reason}. */
  record ReleaseReverting(String reason) implements Known {
    @Override public RecordType type() { return RecordType.RELEASE_REVERTING; }
  }

  /** A rollback is being abandoned: what it did is undone. Key: {@code reason}. */
  record Abandoning(String reason) implements Known {
    @Override public RecordType type() { return RecordType.ABANDONING; }
  }

  /** Keys: {@code budget}, {@code elapsed} (ISO-8601 durations). */
  record BudgetExceeded(Duration budget, Duration elapsed) implements Known {
    @Override public RecordType type() { return RecordType.BUDGET_EXCEEDED; }
  }

  /** A human-readable note, of a step ({@code ctx.note}) or of the run. Key: {@code message}. */
  record NoteAdded(@Nullable String stepPath, String message) implements Known {
    @Override public RecordType type() { return RecordType.NOTE; }

    @Override
    public Optional<String> step() {
      return Optional.ofNullable(stepPath);
    }
  }

  /**
   * The outcome of one delivery. Keys: {@code kind}, {@code audience}, {@code channel},
   * {@code status} (SENT, FAILED, SKIPPED), {@code attempts}, {@code error}, {@code escalatedFrom}.
   */
  record NotificationSent(String kind, String audience, String channel, String status, int attempts, String error,
      @Nullable String escalatedFrom) implements Known {
    @Override public RecordType type() { return RecordType.NOTIFICATION; }
  }

  /** Someone acknowledged the run's page. Keys: {@code actor}, {@code source}. */
  record Acknowledged(String actor, String source) implements Known {
    @Override public RecordType type() { return RecordType.ACKNOWLEDGED; }
  }

  /** An unacknowledged page went on. Keys: {@code kind}, {@code from}, {@code to}, {@code after}, {@code reason}, {@code gateId}. */
  record Escalated(String kind, String from, String to, Duration after, String reason, @Nullable String gateId)
      implements Known {
    @Override public RecordType type() { return RecordType.ESCALATED; }
  }

  /** A torn tail was moved aside before the run continued. Key: {@code problem}. */
  record JournalRepaired(String problem) implements Known {
    @Override public RecordType type() { return RecordType.JOURNAL_REPAIRED; }
  }

  /**
   * The engine itself failed (a bug, or a journal that could not be written); the run halts.
   * Keys: {@code errorType}, {@code message}, {@code stackTrace}.
   */
  record InternalError(@Nullable String stepPath, String errorType, String message, String stackTrace)
      implements Known {
    @Override public RecordType type() { return RecordType.INTERNAL_ERROR; }

    @Override
    public Optional<String> step() {
      return Optional.ofNullable(stepPath);
    }

    public static InternalError of(@Nullable String step, Throwable t) {
      java.io.StringWriter w = new java.io.StringWriter();
      t.printStackTrace(new java.io.PrintWriter(w));
      return new InternalError(step, t.getClass().getName(), String.valueOf(t.getMessage()), w.toString());
    }
  }

  /**
   * After the rollback, recovery is watched for {@code window}, every {@code interval}, with these
   * checks and triggers. Keys: {@code window}, {@code interval} (ISO-8601 durations), {@code checks},
   * {@code triggers}.
   */
  record SoakStarted(Duration window, Duration interval, List<String> checks, List<String> triggers) implements Known {
    public SoakStarted {
      checks = List.copyOf(checks);
      triggers = List.copyOf(triggers);
    }

    @Override public RecordType type() { return RecordType.SOAK_STARTED; }
  }

  /**
   * The soak ended: {@code held} through its window, or not, with the {@code evidence} (which check
   * was not UP, which trigger fired, with its figures). Keys: {@code held}, {@code evidence}.
   */
  record SoakEnded(boolean held, String evidence) implements Known {
    @Override public RecordType type() { return RecordType.SOAK_ENDED; }
  }

  /**
   * The run ended. Keys: {@code outcome}, {@code summary}, {@code haltedAt} (the gate id),
   * {@code verified} (written only when false: the run RECOVERED but nothing defined "recovered",
   * no check and no soak; records without it read as verified).
   */
  record PlanCompleted(String outcome, String summary, @Nullable String haltedAt, boolean verified) implements Known {
    /** An outcome whose verification is not in question. */
    public PlanCompleted(String outcome, String summary, @Nullable String haltedAt) {
      this(outcome, summary, haltedAt, true);
    }

    @Override public RecordType type() { return RecordType.PLAN_COMPLETED; }
  }

  /** A record of a kind this version does not know (a newer writer), kept as it was read. */
  record Unknown(String typeName, @Nullable String stepPath, Map<String, Object> data) implements JournalEvent {
    public Unknown {
      data = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(data));
    }

    @Override
    public String typeName() {
      return typeName;
    }

    @Override
    public Optional<String> step() {
      return Optional.ofNullable(stepPath);
    }
  }
}
