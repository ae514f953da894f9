package dev.rollback.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RunHistory;
import dev.rollback.report.TimelineEntry.Actor;
import dev.rollback.report.TimelineEntry.Kind;
import dev.rollback.report.TimelineEntry.Milestone;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * The incident timeline of one run, read from its journal alone: typed, timestamped entries with
 * their actor (the automation, a named human, a timeout) and the milestones detected,
 * acknowledged, mitigated and resolved.
 *
 * <ul>
 *   <li><b>started</b>: when the run was created (the guard armed after the deployment, or the
 *       release started), else when the plan started. The earliest moment the library knows of.
 *   <li><b>detected</b>: the first trigger that fired or the start of a release's revert; in
 *       rollback mode, the start of the rollback (its reason is the evidence).
 *   <li><b>acknowledged</b>: the first acknowledgement of the run's page (an ACKNOWLEDGED record:
 *       over the gate endpoint, from PagerDuty, through the API) or the first gate decision by a
 *       named human (not a timeout), whichever came first.
 *   <li><b>mitigated</b>: the last rollback step (or revert) that finished, when the run went on to
 *       verification; <b>resolved</b>: the end of a run that recovered.
 * </ul>
 * Time to detect is detected − started; time to mitigate is mitigated − started; the rollback's
 * own duration is mitigated − detected. Undo snapshots, checkpoints and known-good values are
 * left out: they may hold data that does not belong in an incident channel.
 */
public final class Timeline {
  private final RunHistory history;
  private final String runId;
  private final String plan;
  private final String mode;
  private final String deployment;
  private final String reason;
  private final String outcome;
  private final String summary;
  private final List<TimelineEntry> entries;
  private final Map<Milestone, Instant> milestones;
  private final @Nullable Instant started;
  private final @Nullable Instant ended;

  private Timeline(RunHistory history, String runId, String plan, String mode, String deployment, String reason, String outcome,
      String summary, List<TimelineEntry> entries, Map<Milestone, Instant> milestones, @Nullable Instant started,
      @Nullable Instant ended) {
    this.history = history;
    this.runId = runId;
    this.plan = plan;
    this.mode = mode;
    this.deployment = deployment;
    this.reason = reason;
    this.outcome = outcome;
    this.summary = summary;
    this.entries = List.copyOf(entries);
    this.milestones = Map.copyOf(milestones);
    this.started = started;
    this.ended = ended;
  }

  public static Timeline of(Journal journal, String runId) {
    Objects.requireNonNull(journal, "journal");
    return of(journal.read(Objects.requireNonNull(runId, "runId")).records());
  }

  /** The timeline of the run these records belong to (one run's records, in journal order). */
  public static Timeline of(List<JournalRecord> records) {
    Objects.requireNonNull(records, "records");
    if (records.isEmpty()) throw new IllegalArgumentException("no journal records: cannot build a timeline of an empty run");
    String runId = records.get(0).runId();
    for (JournalRecord r : records) {
      if (!r.runId().equals(runId)) {
        throw new IllegalArgumentException("records of two runs: " + runId + " and " + r.runId() + " (seq " + r.seq() + ")");
      }
    }
    return of(RunHistory.of(records));
  }

  /** The timeline of a run's history. */
  public static Timeline of(RunHistory h) {
    Objects.requireNonNull(h, "history");
    List<TimelineEntry> out = new ArrayList<>();
    Map<Milestone, Instant> ms = new EnumMap<>(Milestone.class);
    int lastStepDone = -1;
    String deployment = h.deployment();
    for (RunHistory.Entry en : h.entries()) {
      JournalEvent ev = en.event();
      JournalRecord r = en.record();
      String step = en.step();
      if (ev instanceof JournalEvent.Unknown u) {
        out.add(new TimelineEntry(r.at(), Kind.NOTE, Actor.ENGINE, step, "record of kind " + u.typeName()
            + " (written by a newer version)", null));
      } else if (ev instanceof JournalEvent.RunCreated x) {
        out.add(entry(r, Kind.RUN, Actor.ENGINE, "Run created for " + x.identity().deployment() + " (plan "
            + x.identity().plan() + ")"));
      } else if (ev instanceof JournalEvent.KnownGoodCaptured) {
        out.add(entry(r, Kind.STEP, Actor.ENGINE, "Known-good state of " + step + " recorded"));
      } else if (ev instanceof JournalEvent.PlanStarted x) {
        boolean rollback = "rollback".equals(x.identity().mode());
        TimelineEntry e = entry(r, Kind.RUN, Actor.ENGINE, (rollback ? "Rollback of " : "Release of ")
            + x.identity().deployment() + " started" + (x.reason().isEmpty() ? "" : ": " + x.reason()));
        if (rollback && !ms.containsKey(Milestone.DETECTED)) {
          ms.put(Milestone.DETECTED, r.at());
          e = e.marking(Milestone.DETECTED);
        }
        out.add(e);
      } else if (ev instanceof JournalEvent.PlanResumed x) {
        out.add(entry(r, Kind.RUN, Actor.ENGINE, "Run resumed: " + x.reason()));
      } else if (ev instanceof JournalEvent.StageStarted x) {
        out.add(entry(r, Kind.STEP, Actor.ENGINE, "Stage '" + step + "' started" + (x.parallel() ? " (steps in parallel)" : "")));
      } else if (ev instanceof JournalEvent.StepStarted x) {
        out.add(entry(r, Kind.STEP, Actor.ENGINE, step + " started (attempt " + x.attempt() + ")"));
      } else if (ev instanceof JournalEvent.StepSucceeded x) {
        lastStepDone = out.size();
        String how = x.reconciled() ? " (" + (x.how().isEmpty() ? "reconciled" : x.how()) + ": it had already taken effect)"
            : h.stepHistory(step).duration().map(d -> " in " + ReportFormat.duration(d)).orElse("");
        out.add(entry(r, Kind.STEP, Actor.ENGINE, step + " succeeded" + how));
      } else if (ev instanceof JournalEvent.StepFailed x) {
        out.add(entry(r, Kind.STEP, Actor.ENGINE, step + " failed (attempt " + x.attempt()
            + (x.timedOut() ? ", timed out" : "") + (x.last() ? ", final" : ", will retry") + "): " + x.error()));
      } else if (ev instanceof JournalEvent.StepCancelled x) {
        out.add(entry(r, Kind.STEP, Actor.ENGINE, step + " cancelled: " + x.reason()));
      } else if (ev instanceof JournalEvent.StepSkipped x) {
        lastStepDone = out.size();
        out.add(entry(r, Kind.STEP, Actor.ENGINE, step + " skipped: " + x.reason()));
      } else if (ev instanceof JournalEvent.GateOpened x) {
        out.add(entry(r, Kind.GATE, Actor.ENGINE, "Waiting at gate '" + x.gate() + "': " + x.question()));
      } else if (ev instanceof JournalEvent.GateDecided x) {
        Actor actor = x.timedOut() ? new Actor(Actor.Type.TIMEOUT, "timeout") : Actor.human(x.actor());
        TimelineEntry e = entry(r, Kind.GATE, actor, x.timedOut()
            ? "Nobody answered gate " + x.gateId() + " in time; it decided " + x.decision()
            : x.actor() + " decided " + x.decision() + " at gate " + x.gateId());
        if (!x.timedOut() && !ms.containsKey(Milestone.ACKNOWLEDGED)) {
          ms.put(Milestone.ACKNOWLEDGED, r.at());
          e = e.marking(Milestone.ACKNOWLEDGED);
        }
        out.add(e);
      } else if (ev instanceof JournalEvent.HealthChecked x) {
        out.add(entry(r, Kind.HEALTH, Actor.automation(x.check()), "Health " + x.check() + " " + x.status()
            + (x.detail().isEmpty() ? "" : ": " + x.detail())));
      } else if (ev instanceof JournalEvent.TriggerFired x) {
        TimelineEntry e = entry(r, Kind.TRIGGER, Actor.automation("trigger " + x.trigger()),
            "Trigger '" + x.trigger() + "' said " + x.verdict() + " " + x.where() + ": " + x.evidence());
        if (!ms.containsKey(Milestone.DETECTED)) {
          ms.put(Milestone.DETECTED, r.at());
          e = e.marking(Milestone.DETECTED);
        }
        out.add(e);
      } else if (ev instanceof JournalEvent.ReleaseReverting x) {
        TimelineEntry e = entry(r, Kind.TRIGGER, Actor.ENGINE, "Reverting the release: " + x.reason());
        if (!ms.containsKey(Milestone.DETECTED)) {
          ms.put(Milestone.DETECTED, r.at());
          e = e.marking(Milestone.DETECTED);
        }
        out.add(e);
      } else if (ev instanceof JournalEvent.Abandoning x) {
        out.add(entry(r, Kind.RUN, Actor.ENGINE, "Abandoning the rollback: " + x.reason()));
      } else if (ev instanceof JournalEvent.BudgetExceeded x) {
        out.add(entry(r, Kind.BUDGET, Actor.ENGINE, "Over the budget of " + ReportFormat.duration(x.budget()) + " ("
            + ReportFormat.duration(x.elapsed()) + " so far); the rollback goes on"));
      } else if (ev instanceof JournalEvent.NoteAdded x) {
        out.add(entry(r, Kind.NOTE, Actor.ENGINE, x.message()));
      } else if (ev instanceof JournalEvent.Acknowledged x) {
        TimelineEntry e = entry(r, Kind.GATE, Actor.human(x.actor()), x.actor() + " acknowledged the page via " + x.source());
        if (!ms.containsKey(Milestone.ACKNOWLEDGED)) {
          ms.put(Milestone.ACKNOWLEDGED, r.at());
          e = e.marking(Milestone.ACKNOWLEDGED);
        }
        out.add(e);
      } else if (ev instanceof JournalEvent.Escalated x) {
        out.add(entry(r, Kind.ESCALATION, Actor.ENGINE, "Escalated " + x.kind() + " from " + x.from() + " to " + x.to()
            + " after " + x.after() + ": " + x.reason()));
      } else if (ev instanceof JournalEvent.NotificationSent x) {
        out.add(entry(r, Kind.NOTIFICATION, Actor.automation(x.channel()), x.kind() + " to " + x.audience() + " via "
            + x.channel() + ": " + x.status() + (x.error().isEmpty() ? "" : " (" + x.error() + ")")));
      } else if (ev instanceof JournalEvent.JournalRepaired x) {
        out.add(entry(r, Kind.NOTE, Actor.ENGINE, "Journal repaired: " + x.problem()));
      } else if (ev instanceof JournalEvent.InternalError x) {
        out.add(entry(r, Kind.RUN, Actor.ENGINE, "Internal error of the engine: " + x.errorType() + ": " + x.message()));
      } else if (ev instanceof JournalEvent.SoakStarted x) {
        out.add(entry(r, Kind.HEALTH, Actor.ENGINE, "Watching recovery for " + ReportFormat.duration(x.window()) + " (every "
            + ReportFormat.duration(x.interval()) + "): checks " + x.checks() + ", triggers " + x.triggers()));
      } else if (ev instanceof JournalEvent.SoakEnded x) {
        out.add(entry(r, x.held() ? Kind.HEALTH : Kind.TRIGGER, Actor.ENGINE, x.held() ? "Soak passed: " + x.evidence()
            : "Recovery did not hold during the soak: " + x.evidence()));
      } else if (ev instanceof JournalEvent.PlanCompleted x) {
        TimelineEntry e = entry(r, Kind.RUN, Actor.ENGINE, "Run ended " + (x.verified() ? x.outcome()
            : "NOT VERIFIED (" + x.outcome() + " by its steps; nothing defines recovered)") + ": " + x.summary());
        if ("RECOVERED".equals(x.outcome())) {
          if (lastStepDone >= 0 && !ms.containsKey(Milestone.MITIGATED)) {
            ms.put(Milestone.MITIGATED, out.get(lastStepDone).at());
            out.set(lastStepDone, out.get(lastStepDone).marking(Milestone.MITIGATED));
          }
          ms.put(Milestone.RESOLVED, r.at());
          e = e.marking(Milestone.RESOLVED);
        }
        // NOT_RECOVERED: the steps ran but verification (or the soak) failed, so mitigation is not confirmed
        out.add(e);
      }
      // UNDO_SNAPSHOT, CHECKPOINT: values of the system's state, not for an incident channel
    }
    Instant started = h.createdAt().orElse(null);
    out.sort(Comparator.comparing(TimelineEntry::at)); // stable: journal order within one instant
    return new Timeline(h, h.runId(), h.plan(), h.mode(), deployment, h.reason(), h.outcome().orElse(""), h.summary(),
        out, ms, started, h.endedAt().orElse(null));
  }

  private static TimelineEntry entry(JournalRecord r, Kind kind, Actor actor, String text) {
    return new TimelineEntry(r.at(), kind, actor, r.step() == null ? "" : r.step(), text, null);
  }

  public String runId() { return runId; }
  /** The history the timeline was read from. */
  public RunHistory history() { return history; }

  /** A step's duration (first start to outcome), the same figure every report shows; empty if it did not end. */
  public Optional<Duration> stepDuration(String path) {
    return history.stepHistory(path).duration();
  }
  public String plan() { return plan; }
  /** "rollback" or "release". */
  public String mode() { return mode; }
  public String deployment() { return deployment; }
  /** Why the run started (a trigger's evidence, "manual rollback by alice"). */
  public String reason() { return reason; }
  /** The run's outcome (RECOVERED, HALTED, ...), or empty while it runs. */
  public String outcome() { return outcome; }
  public String summary() { return summary; }
  public List<TimelineEntry> entries() { return entries; }

  public Optional<Instant> started() { return Optional.ofNullable(started); }
  public Optional<Instant> ended() { return Optional.ofNullable(ended); }

  public Optional<Instant> milestone(Milestone m) {
    return Optional.ofNullable(milestones.get(m));
  }

  /** Detected − started. */
  public Optional<Duration> timeToDetect() {
    return between(started, milestones.get(Milestone.DETECTED));
  }

  /** Acknowledged − detected: how long until a human took it. */
  public Optional<Duration> timeToAcknowledge() {
    return between(milestones.get(Milestone.DETECTED), milestones.get(Milestone.ACKNOWLEDGED));
  }

  /** Mitigated − started. */
  public Optional<Duration> timeToMitigate() {
    return between(started, milestones.get(Milestone.MITIGATED));
  }

  /** Resolved − started. */
  public Optional<Duration> timeToResolve() {
    return between(started, milestones.get(Milestone.RESOLVED));
  }

  /** Mitigated − detected: how long the rollback itself took. */
  public Optional<Duration> rollbackDuration() {
    return between(milestones.get(Milestone.DETECTED), milestones.get(Milestone.MITIGATED));
  }

  /** The named humans who acted, in order of first appearance. */
  public List<String> humans() {
    return entries.stream().filter(e -> e.actor().type() == Actor.Type.HUMAN).map(e -> e.actor().name()).distinct().toList();
  }

  public List<TimelineEntry> entries(Kind kind) {
    return entries.stream().filter(e -> e.kind() == kind).toList();
  }

  private static Optional<Duration> between(@Nullable Instant a, @Nullable Instant b) {
    return a == null || b == null ? Optional.empty() : Optional.of(Duration.between(a, b));
  }

  /**
   * The timeline as JSON, for incident tools (an incident.io update, a Rootly or FireHydrant
   * event): run facts, milestones, derived durations (ISO-8601) and the entries with kind, actor
   * type and name, step, text and milestone.
   */
  public String toJson() {
    ObjectMapper json = new ObjectMapper();
    ObjectNode root = json.createObjectNode();
    root.put("v", 1);
    root.put("runId", runId);
    root.put("plan", plan);
    root.put("mode", mode);
    root.put("deployment", deployment);
    root.put("reason", reason);
    root.put("outcome", outcome);
    if (started != null) root.put("startedAt", started.toString());
    if (ended != null) root.put("endedAt", ended.toString());
    ObjectNode m = root.putObject("milestones");
    for (Milestone k : Milestone.values()) {
      Instant at = milestones.get(k);
      if (at != null) m.put(k.name().toLowerCase(java.util.Locale.ROOT), at.toString());
    }
    ObjectNode d = root.putObject("durations");
    timeToDetect().ifPresent(x -> d.put("timeToDetect", x.toString()));
    timeToAcknowledge().ifPresent(x -> d.put("timeToAcknowledge", x.toString()));
    timeToMitigate().ifPresent(x -> d.put("timeToMitigate", x.toString()));
    timeToResolve().ifPresent(x -> d.put("timeToResolve", x.toString()));
    rollbackDuration().ifPresent(x -> d.put("rollback", x.toString()));
    ArrayNode list = root.putArray("entries");
    for (TimelineEntry e : entries) {
      ObjectNode o = list.addObject();
      o.put("at", e.at().toString());
      o.put("kind", e.kind().name());
      o.putObject("actor").put("type", e.actor().type().name()).put("name", e.actor().name());
      if (!e.step().isEmpty()) o.put("step", e.step());
      o.put("text", e.text());
      e.milestoneMarked().ifPresent(x -> o.put("milestone", x.name()));
    }
    try {
      return json.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the timeline of run " + runId + " as JSON: " + e.getOriginalMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "Timeline[" + runId + ", " + entries.size() + " entries, milestones " + milestones + "]";
  }
}
