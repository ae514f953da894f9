package dev.rollback.journal;

import dev.rollback.Decision;
import dev.rollback.GateKind;
import dev.rollback.Snapshot;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.Verdict;
import dev.rollback.journal.JournalEvent.Abandoning;
import dev.rollback.journal.JournalEvent.Acknowledged;
import dev.rollback.journal.JournalEvent.BudgetExceeded;
import dev.rollback.journal.JournalEvent.CheckpointRecorded;
import dev.rollback.journal.JournalEvent.Escalated;
import dev.rollback.journal.JournalEvent.GateDecided;
import dev.rollback.journal.JournalEvent.GateOpened;
import dev.rollback.journal.JournalEvent.HealthChecked;
import dev.rollback.journal.JournalEvent.Identity;
import dev.rollback.journal.JournalEvent.InternalError;
import dev.rollback.journal.JournalEvent.JournalRepaired;
import dev.rollback.journal.JournalEvent.Known;
import dev.rollback.journal.JournalEvent.KnownGoodCaptured;
import dev.rollback.journal.JournalEvent.NoteAdded;
import dev.rollback.journal.JournalEvent.NotificationSent;
import dev.rollback.journal.JournalEvent.PlanCompleted;
import dev.rollback.journal.JournalEvent.PlanResumed;
import dev.rollback.journal.JournalEvent.PlanStarted;
import dev.rollback.journal.JournalEvent.ReleaseReverting;
import dev.rollback.journal.JournalEvent.SoakEnded;
import dev.rollback.journal.JournalEvent.SoakStarted;
import dev.rollback.journal.JournalEvent.RunCreated;
import dev.rollback.journal.JournalEvent.StageStarted;
import dev.rollback.journal.JournalEvent.StepCancelled;
import dev.rollback.journal.JournalEvent.StepFailed;
import dev.rollback.journal.JournalEvent.StepSkipped;
import dev.rollback.journal.JournalEvent.StepStarted;
import dev.rollback.journal.JournalEvent.StepSucceeded;
import dev.rollback.journal.JournalEvent.TriggerFired;
import dev.rollback.journal.JournalEvent.UndoSnapshotTaken;
import dev.rollback.journal.JournalEvent.Unknown;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Typed events to and from the body of a format-1 record (its {@code step} field and its
 * {@code data} map): the one place that knows which key holds what. Reading is lenient as
 * format 1 always was: a missing key reads as its default, so a record an older version wrote
 * without a newer key still reads.
 */
final class EventCodec {
  private EventCodec() {}

  static @Nullable String step(JournalEvent e) {
    // two records per step: no Optional for each, and a check against the exact class (an interface
    // check walks the class's secondary supertypes, and alternating ones thrash the JVM's one-entry cache)
    if (e instanceof StepStarted x) return x.path();
    if (e instanceof StepSucceeded x) return x.path();
    if (e instanceof JournalEvent.StepEvent s) return s.path();
    return e.step().orElse(null);
  }

  static Map<String, Object> data(Known e) {
    // the two records of every step attempt, most often with nothing but the attempt number
    if (e instanceof StepStarted x) return OwnedData.attempt(x.attempt());
    if (e instanceof StepSucceeded x && !x.reconciled() && x.how().isEmpty() && x.markedDoneBy() == null) {
      return OwnedData.attempt(x.attempt());
    }
    LinkedHashMap<String, Object> d = new LinkedHashMap<>(8);
    if (e instanceof RunCreated x) {
      identity(d, x.identity());
    } else if (e instanceof KnownGoodCaptured x) {
      d.put("snapshot", x.snapshot().values());
    } else if (e instanceof PlanStarted x) {
      identity(d, x.identity());
      d.put("reason", x.reason());
    } else if (e instanceof PlanResumed x) {
      d.put("reason", x.reason());
      d.put("fingerprint", x.fingerprint());
    } else if (e instanceof StageStarted x) {
      d.put("parallel", x.parallel());
    } else if (e instanceof StepStarted x) {
      d.put("attempt", x.attempt());
    } else if (e instanceof UndoSnapshotTaken x) {
      d.put("snapshot", x.snapshot().values());
    } else if (e instanceof CheckpointRecorded x) {
      d.put("key", x.key());
      d.put("value", x.value());
    } else if (e instanceof StepSucceeded x) {
      d.put("attempt", x.attempt());
      if (x.reconciled()) d.put("reconciled", true);
      if (!x.how().isEmpty()) d.put("how", x.how());
      if (x.markedDoneBy() != null) d.put("markedDoneBy", x.markedDoneBy());
    } else if (e instanceof StepFailed x) {
      d.put("attempt", x.attempt());
      d.put("error", x.error());
      d.put("timedOut", x.timedOut());
      d.put("final", x.last());
      if (x.declared()) d.put("declared", true);
    } else if (e instanceof StepCancelled x) {
      d.put("attempt", x.attempt());
      d.put("reason", x.reason());
    } else if (e instanceof StepSkipped x) {
      d.put("reason", x.reason());
    } else if (e instanceof GateOpened x) {
      d.put("gateId", x.gateId());
      d.put("gate", x.gate());
      d.put("kind", x.kind().name());
      d.put("question", x.question());
      d.put("options", x.options().stream().map(Enum::name).toList());
      d.put("deadline", x.deadline().toString());
      d.put("onTimeout", x.onTimeout().name());
      d.put("onTimeoutChosenByAuthor", x.onTimeoutChosenByAuthor());
    } else if (e instanceof GateDecided x) {
      d.put("gateId", x.gateId());
      d.put("decision", x.decision().name());
      d.put("actor", x.actor());
      d.put("timedOut", x.timedOut());
    } else if (e instanceof HealthChecked x) {
      d.put("check", x.check());
      d.put("status", x.status().name());
      d.put("detail", x.detail());
      d.put("latencyMillis", x.latencyMillis());
      d.put("gatePassed", x.gatePassed());
    } else if (e instanceof TriggerFired x) {
      d.put("trigger", x.trigger());
      d.put("verdict", x.verdict().name());
      d.put("evidence", x.evidence());
      d.put("facts", x.facts());
      d.put("where", x.where());
      if (x.deployment() != null) d.put("deployment", x.deployment());
      if (x.holder() != null) d.put("holder", x.holder());
    } else if (e instanceof ReleaseReverting x) {
      d.put("reason", x.reason());
    } else if (e instanceof Abandoning x) {
      d.put("reason", x.reason());
    } else if (e instanceof BudgetExceeded x) {
      d.put("budget", x.budget().toString());
      d.put("elapsed", x.elapsed().toString());
    } else if (e instanceof NoteAdded x) {
      d.put("message", x.message());
    } else if (e instanceof NotificationSent x) {
      d.put("kind", x.kind());
      d.put("audience", x.audience());
      d.put("channel", x.channel());
      d.put("status", x.status());
      d.put("attempts", x.attempts());
      if (!x.error().isEmpty()) d.put("error", x.error());
      if (x.escalatedFrom() != null) d.put("escalatedFrom", x.escalatedFrom());
    } else if (e instanceof Acknowledged x) {
      d.put("actor", x.actor());
      d.put("source", x.source());
    } else if (e instanceof Escalated x) {
      d.put("kind", x.kind());
      d.put("from", x.from());
      d.put("to", x.to());
      d.put("after", x.after().toString());
      d.put("reason", x.reason());
      if (x.gateId() != null) d.put("gateId", x.gateId());
    } else if (e instanceof JournalRepaired x) {
      d.put("problem", x.problem());
    } else if (e instanceof InternalError x) {
      d.put("errorType", x.errorType());
      d.put("message", x.message());
      d.put("stackTrace", x.stackTrace());
    } else if (e instanceof SoakStarted x) {
      d.put("window", x.window().toString());
      d.put("interval", x.interval().toString());
      d.put("checks", x.checks());
      d.put("triggers", x.triggers());
    } else if (e instanceof SoakEnded x) {
      d.put("held", x.held());
      d.put("evidence", x.evidence());
    } else if (e instanceof PlanCompleted x) {
      d.put("outcome", x.outcome());
      d.put("summary", x.summary());
      if (x.haltedAt() != null) d.put("haltedAt", x.haltedAt());
      if (!x.verified()) d.put("verified", false);
    }
    return new OwnedData(d);
  }

  private static void identity(Map<String, Object> d, Identity i) {
    d.put("mode", i.mode());
    d.put("plan", i.plan());
    d.put("deployment", i.deployment());
    d.put("service", i.service());
    d.put("version", i.version());
    d.put("fingerprint", i.fingerprint());
    d.put("outline", i.outline());
  }

  /** The typed event of {@code r}; an {@link Unknown} for a type this version does not know. */
  static JournalEvent decode(JournalRecord r) {
    RecordType type = RecordType.parse(r.type());
    String step = r.step() == null ? "" : r.step();
    if (type == null) return new Unknown(r.type(), r.step(), r.data());
    return switch (type) {
      case RUN_CREATED -> new RunCreated(identity(r));
      case KNOWN_GOOD -> new KnownGoodCaptured(step, Snapshot.of(r.map("snapshot")));
      case PLAN_STARTED -> new PlanStarted(identity(r), r.stringOr("reason", ""));
      case PLAN_RESUMED -> new PlanResumed(r.stringOr("reason", ""), r.stringOr("fingerprint", ""));
      case STAGE_STARTED -> new StageStarted(step, r.flag("parallel"));
      case STEP_STARTED -> new StepStarted(step, (int) r.longOr("attempt", 1));
      case UNDO_SNAPSHOT -> new UndoSnapshotTaken(step, Snapshot.of(r.map("snapshot")));
      case CHECKPOINT -> new CheckpointRecorded(step, r.stringOr("key", ""), r.stringOr("value", ""));
      case STEP_SUCCEEDED -> new StepSucceeded(step, (int) r.longOr("attempt", 1),
          r.flag("reconciled") || r.has("markedDoneBy"), r.stringOr("how", ""), r.string("markedDoneBy").orElse(null));
      case STEP_FAILED -> new StepFailed(step, (int) r.longOr("attempt", 1), r.stringOr("error", ""), r.flag("timedOut"),
          r.flag("final"), r.flag("declared"));
      case STEP_CANCELLED -> new StepCancelled(step, (int) r.longOr("attempt", 1), r.stringOr("reason", "cancelled"));
      case STEP_SKIPPED -> new StepSkipped(step, r.stringOr("reason", ""));
      case GATE_OPENED -> new GateOpened(step, r.stringOr("gateId", ""), r.stringOr("gate", ""),
          enumOr(GateKind.class, r.stringOr("kind", ""), GateKind.APPROVAL), r.stringOr("question", ""),
          decisions(r.list("options")), instantOr(r.stringOr("deadline", ""), r.at()),
          enumOr(Decision.class, r.stringOr("onTimeout", ""), Decision.HALT), r.flag("onTimeoutChosenByAuthor"));
      case GATE_DECIDED -> new GateDecided(step, r.stringOr("gateId", ""),
          enumOr(Decision.class, r.stringOr("decision", ""), Decision.HALT), r.stringOr("actor", ""), r.flag("timedOut"));
      case HEALTH_CHECKED -> new HealthChecked(step, r.stringOr("check", step),
          enumOr(HealthStatus.class, r.stringOr("status", ""), HealthStatus.UNKNOWN), r.stringOr("detail", ""),
          r.longOr("latencyMillis", 0), r.flag("gatePassed"));
      case TRIGGER_FIRED -> new TriggerFired(r.stringOr("trigger", "?"),
          enumOr(Verdict.class, r.stringOr("verdict", ""), Verdict.ASK_HUMAN), r.stringOr("evidence", ""), r.map("facts"),
          r.stringOr("where", ""), r.string("deployment").orElse(null), r.string("holder").orElse(null));
      case RELEASE_REVERTING -> new ReleaseReverting(r.stringOr("reason", ""));
      case ABANDONING -> new Abandoning(r.stringOr("reason", ""));
      case BUDGET_EXCEEDED -> new BudgetExceeded(durationOr(r.stringOr("budget", "")), durationOr(r.stringOr("elapsed", "")));
      case NOTE -> new NoteAdded(r.step(), r.stringOr("message", ""));
      case NOTIFICATION -> new NotificationSent(r.stringOr("kind", "?"), r.stringOr("audience", "?"),
          r.stringOr("channel", "?"), r.stringOr("status", "?"), (int) r.longOr("attempts", 0), r.stringOr("error", ""),
          r.string("escalatedFrom").orElse(null));
      case ACKNOWLEDGED -> new Acknowledged(r.stringOr("actor", "?"), r.stringOr("source", "?"));
      case ESCALATED -> new Escalated(r.stringOr("kind", "?"), r.stringOr("from", "?"), r.stringOr("to", "?"),
          durationOr(r.stringOr("after", "")), r.stringOr("reason", ""), r.string("gateId").orElse(null));
      case JOURNAL_REPAIRED -> new JournalRepaired(r.stringOr("problem", "journal repaired"));
      case INTERNAL_ERROR -> new InternalError(r.step(), r.stringOr("errorType", "?"), r.stringOr("message", ""),
          r.stringOr("stackTrace", ""));
      case SOAK_STARTED -> new SoakStarted(durationOr(r.stringOr("window", "")), durationOr(r.stringOr("interval", "")),
          r.list("checks"), r.list("triggers"));
      case SOAK_ENDED -> new SoakEnded(r.flag("held"), r.stringOr("evidence", ""));
      case PLAN_COMPLETED -> new PlanCompleted(r.stringOr("outcome", ""), r.stringOr("summary", ""),
          r.string("haltedAt").orElse(null), !r.has("verified") || r.flag("verified"));
    };
  }

  private static Identity identity(JournalRecord r) {
    return new Identity(r.stringOr("mode", ""), r.stringOr("plan", ""), r.stringOr("deployment", ""),
        r.stringOr("service", ""), r.stringOr("version", ""), r.stringOr("fingerprint", ""), r.list("outline"));
  }

  private static List<Decision> decisions(List<String> names) {
    List<Decision> out = new ArrayList<>();
    for (String n : names) {
      Decision d = enumOr(Decision.class, n, null);
      if (d != null) out.add(d);
    }
    return out;
  }

  private static <E extends Enum<E>> E enumOr(Class<E> type, String name, E fallback) {
    try {
      return Enum.valueOf(type, name);
    } catch (IllegalArgumentException e) {
      return fallback;
    }
  }

  private static Instant instantOr(String s, Instant fallback) {
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      return fallback;
    }
  }

  private static Duration durationOr(String s) {
    try {
      return Duration.parse(s);
    } catch (DateTimeParseException e) {
      return Duration.ZERO;
    }
  }
}
