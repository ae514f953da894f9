package dev.rollback.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RunHistory.GateHistory;
import dev.rollback.journal.RunHistory.Stamped;
import dev.rollback.journal.RunHistory.StepHistory;
import dev.rollback.journal.RunHistory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a run did, read from its journal alone (so it can be written after a crash, by another
 * process, or by the older application after a rollback): outcome, why it started, each step's
 * attempts, duration and notes, the decisions taken at gates and by whom, trigger evidence with
 * its figures, failures with their causes, verification, notifications, resumes, internal errors
 * and journal problems. Built on the run's {@link RunHistory}, as every other report is, so they
 * agree.
 */
public final class RunReport {

  /**
   * One step path's history. {@code duration} runs from the first attempt's start to the outcome
   * (retries included), the figure every report shows; empty while the step runs.
   */
  public record StepReport(String path, String status, int attempts, @Nullable Instant startedAt,
      @Nullable Instant finishedAt, @Nullable Duration duration, String error, String how, List<String> notes) {
    public StepReport {
      notes = List.copyOf(notes);
    }

    public Optional<Duration> elapsed() {
      return Optional.ofNullable(duration);
    }
  }

  /** One gate and its decision. */
  public record DecisionReport(String gateId, String gate, String kind, String step, String question,
      String decision, String actor, boolean timedOut, boolean defaultChosenByAuthor,
      @Nullable Instant openedAt, @Nullable Instant decidedAt) {}

  /**
   * A trigger's verdict with its figures: what it observed, against which threshold, over which
   * window (each empty when the rule has none), and all the facts it gave.
   */
  public record TriggerReport(Instant at, String trigger, String verdict, String where, String evidence,
      String observed, String threshold, String window, Map<String, String> facts) {
    public TriggerReport {
      facts = Map.copyOf(facts);
    }
  }

  /** Something that went wrong or was notable, at a point in time. */
  public record Event(Instant at, String type, String step, String text) {}

  /** An error of the engine itself, with its stack trace. */
  public record InternalErrorReport(Instant at, String step, String type, String message, String stackTrace) {}

  private final RunHistory history;
  private final List<StepReport> steps;
  private final List<DecisionReport> decisions;
  private final List<TriggerReport> triggers;
  private final List<Event> compensations;
  private final List<Event> failures;
  private final List<Event> verification;
  private final List<Event> notifications;
  private final List<Event> resumes;
  private final List<InternalErrorReport> internalErrors;
  private final List<Event> soak;

  private RunReport(RunHistory h) {
    this.history = h;
    List<StepReport> st = new ArrayList<>();
    for (StepHistory s : h.steps()) st.add(step(s));
    this.steps = List.copyOf(st);
    List<DecisionReport> ds = new ArrayList<>();
    for (GateHistory g : h.gates()) {
      ds.add(new DecisionReport(g.id(), g.gate(), g.kind() == null ? "" : g.kind().name(), g.step(), g.question(),
          g.decision() == null ? "" : g.decision().name(), g.actor(), g.timedOut(), g.onTimeoutChosenByAuthor(),
          g.openedAt(), g.decidedAt()));
    }
    this.decisions = List.copyOf(ds);
    List<TriggerReport> tr = new ArrayList<>();
    for (Stamped<JournalEvent.TriggerFired> t : h.events(JournalEvent.TriggerFired.class)) {
      JournalEvent.TriggerFired f = t.event();
      tr.add(new TriggerReport(t.at(), f.trigger(), f.verdict().name(), f.where(), f.evidence(), f.fact("observed").orElse(""),
          f.fact("threshold").orElse(""), f.fact("window").orElse(""), f.facts()));
    }
    this.triggers = List.copyOf(tr);
    List<Event> comp = new ArrayList<>();
    for (Stamped<JournalEvent.ReleaseReverting> r : h.events(JournalEvent.ReleaseReverting.class)) {
      comp.add(new Event(r.at(), "RELEASE_REVERTING", "", "reverting: " + r.event().reason()));
    }
    for (Stamped<JournalEvent.Abandoning> r : h.events(JournalEvent.Abandoning.class)) {
      comp.add(new Event(r.at(), "ABANDONING", "", "abandoning the rollback: " + r.event().reason()));
    }
    this.compensations = List.copyOf(comp);
    List<Event> fail = new ArrayList<>();
    for (Stamped<JournalEvent.StepFailed> f : h.events(JournalEvent.StepFailed.class)) {
      fail.add(new Event(f.at(), "STEP_FAILED", f.event().path(), "attempt " + f.event().attempt() + ": " + f.event().error()));
    }
    for (Stamped<JournalEvent.BudgetExceeded> b : h.events(JournalEvent.BudgetExceeded.class)) {
      fail.add(new Event(b.at(), "BUDGET_EXCEEDED", "", "budget " + ReportFormat.duration(b.event().budget())
          + " exceeded after " + ReportFormat.duration(b.event().elapsed())));
    }
    fail.sort((a, b) -> a.at().compareTo(b.at()));
    this.failures = List.copyOf(fail);
    List<Event> ver = new ArrayList<>();
    for (Stamped<JournalEvent.HealthChecked> c : h.events(JournalEvent.HealthChecked.class)) {
      if (!"verify".equals(c.event().path())) continue;
      ver.add(new Event(c.at(), "VERIFY", "verify", c.event().check() + " " + c.event().status() + " in "
          + c.event().latencyMillis() + " ms: " + c.event().detail()));
    }
    this.verification = List.copyOf(ver);
    List<Event> notes = new ArrayList<>();
    for (Stamped<JournalEvent.NotificationSent> n : h.events(JournalEvent.NotificationSent.class)) {
      JournalEvent.NotificationSent x = n.event();
      notes.add(new Event(n.at(), x.status(), "", x.kind() + " to " + x.audience() + " via " + x.channel() + ": "
          + x.status() + " after " + x.attempts() + " attempt(s)" + (x.error().isEmpty() ? "" : " — " + x.error())));
    }
    this.notifications = List.copyOf(notes);
    List<Event> res = new ArrayList<>();
    for (Stamped<JournalEvent.PlanResumed> r : h.resumes()) res.add(new Event(r.at(), "RESUMED", "", r.event().reason()));
    this.resumes = List.copyOf(res);
    List<InternalErrorReport> errs = new ArrayList<>();
    for (Stamped<JournalEvent.InternalError> e : h.events(JournalEvent.InternalError.class)) {
      JournalEvent.InternalError x = e.event();
      errs.add(new InternalErrorReport(e.at(), x.stepPath() == null ? "" : x.stepPath(), x.errorType(), x.message(),
          x.stackTrace()));
    }
    this.internalErrors = List.copyOf(errs);
    List<Event> sk = new ArrayList<>();
    for (Stamped<JournalEvent.SoakStarted> x : h.events(JournalEvent.SoakStarted.class)) {
      sk.add(new Event(x.at(), "SOAK_STARTED", "", "watching recovery for " + ReportFormat.duration(x.event().window())
          + " (every " + ReportFormat.duration(x.event().interval()) + "): checks " + x.event().checks() + ", triggers "
          + x.event().triggers()));
    }
    for (Stamped<JournalEvent.HealthChecked> c : h.events(JournalEvent.HealthChecked.class)) {
      if (!"soak".equals(c.event().path())) continue;
      sk.add(new Event(c.at(), "SOAK_CHECK", "soak", c.event().check() + " " + c.event().status() + ": " + c.event().detail()));
    }
    for (Stamped<JournalEvent.SoakEnded> x : h.events(JournalEvent.SoakEnded.class)) {
      sk.add(new Event(x.at(), x.event().held() ? "SOAK_HELD" : "SOAK_REGRESSED", "", x.event().evidence()));
    }
    sk.sort((a, b) -> a.at().compareTo(b.at()));
    this.soak = List.copyOf(sk);
  }

  private static StepReport step(StepHistory s) {
    String status = switch (s.status()) {
      case SUCCEEDED -> s.reconciled() ? "ALREADY_APPLIED" : "SUCCEEDED";
      case FAILED -> s.finalFailure() ? "FAILED" : "RETRYING";
      default -> s.status().name();
    };
    String error = s.status() == RunHistory.StepStatus.SKIPPED ? s.skipReason() : s.error();
    return new StepReport(s.path(), status, s.attempts(), s.firstStartedAt(), s.finishedAt(), s.duration().orElse(null),
        s.status() == RunHistory.StepStatus.SUCCEEDED ? "" : error, s.how(), s.notes());
  }

  /** The report of {@code runId}, read from {@code journal}; journal problems (a torn tail) are listed in it. */
  public static RunReport of(Journal journal, String runId) {
    JournalRead read = journal.read(runId);
    if (read.isEmpty()) {
      throw new IllegalArgumentException("journal " + journal + " has no records for run " + runId);
    }
    return of(RunHistory.of(read));
  }

  public static RunReport of(List<JournalRecord> records) {
    return of(RunHistory.of(records));
  }

  public static RunReport of(RunHistory history) {
    return new RunReport(history);
  }

  public RunHistory history() { return history; }
  public String runId() { return history.runId(); }
  public String plan() { return history.plan(); }
  public String mode() { return history.mode(); }
  public String deployment() { return history.deployment(); }
  /** Why the run started: a trigger's evidence, or the reason given when it was started. */
  public String reason() { return history.reason(); }
  /** The outcome, or RUNNING when the journal has no end (still running, or its process stopped). */
  public String outcome() { return history.outcome().orElse("RUNNING"); }

  /**
   * False when the run ended RECOVERED although nothing defined "recovered" (no check, no soak):
   * {@link #verdict()} then says NOT VERIFIED.
   */
  public boolean verified() { return history.isVerified(); }

  /** The outcome as the report shows it: {@link #outcome()}, or {@code NOT VERIFIED} for a RECOVERED run nothing verified. */
  public String verdict() { return verified() ? outcome() : "NOT VERIFIED"; }

  /** The soak after the rollback: when it started, checks that failed during it, and how it ended. */
  public List<Event> soak() { return soak; }

  public String summary() {
    return history.isCompleted() ? history.summary()
        : "the run has not finished (or its process stopped before it could say so)";
  }

  public Optional<Instant> startedAt() { return history.startedAt(); }
  public Optional<Instant> finishedAt() { return history.endedAt(); }
  public List<StepReport> steps() { return steps; }

  /** The report of one step path. */
  public Optional<StepReport> step(String path) {
    return steps.stream().filter(s -> s.path().equals(path)).findFirst();
  }

  public List<DecisionReport> decisions() { return decisions; }
  public List<TriggerReport> triggers() { return triggers; }
  /** When and why the run started to revert (a release) or abandon (a rollback). */
  public List<Event> compensations() { return compensations; }
  public List<Event> failures() { return failures; }
  public List<Event> verification() { return verification; }
  public List<Event> notifications() { return notifications; }
  /** Each time the run was resumed after a halt, a cancel or a crash, and why: events, not problems. */
  public List<Event> resumes() { return resumes; }
  public List<InternalErrorReport> internalErrors() { return internalErrors; }
  /** Problems with the journal itself: a torn tail found and where its bytes were kept. */
  public List<String> problems() { return history.problems(); }

  public Optional<Duration> elapsed() {
    return history.elapsed();
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .findAndRegisterModules()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** The report as pretty-printed JSON; times are ISO-8601 UTC, durations in milliseconds. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("runId", runId());
    m.put("plan", plan());
    m.put("mode", mode());
    m.put("deployment", deployment());
    m.put("fingerprint", history.fingerprint());
    m.put("reason", reason());
    m.put("outcome", outcome());
    m.put("verified", verified());
    m.put("verdict", verdict());
    m.put("summary", summary());
    m.put("startedAt", str(startedAt().orElse(null)));
    m.put("finishedAt", str(finishedAt().orElse(null)));
    m.put("elapsedMillis", elapsed().map(Duration::toMillis).orElse(null));
    List<Map<String, Object>> st = new ArrayList<>();
    for (StepReport s : steps) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("path", s.path());
      x.put("status", s.status());
      x.put("attempts", s.attempts());
      x.put("startedAt", str(s.startedAt()));
      x.put("finishedAt", str(s.finishedAt()));
      x.put("durationMillis", s.duration() == null ? null : s.duration().toMillis());
      if (!s.error().isEmpty()) x.put("error", s.error());
      if (!s.how().isEmpty()) x.put("how", s.how());
      if (!s.notes().isEmpty()) x.put("notes", s.notes());
      st.add(x);
    }
    m.put("steps", st);
    List<Map<String, Object>> ds = new ArrayList<>();
    for (DecisionReport d : decisions) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("gateId", d.gateId());
      x.put("gate", d.gate());
      x.put("kind", d.kind());
      x.put("step", d.step());
      x.put("question", d.question());
      x.put("decision", d.decision());
      x.put("actor", d.actor());
      x.put("timedOut", d.timedOut());
      x.put("defaultChosenByAuthor", d.defaultChosenByAuthor());
      x.put("openedAt", str(d.openedAt()));
      x.put("decidedAt", str(d.decidedAt()));
      ds.add(x);
    }
    m.put("decisions", ds);
    List<Map<String, Object>> tr = new ArrayList<>();
    for (TriggerReport t : triggers) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("at", t.at().toString());
      x.put("trigger", t.trigger());
      x.put("verdict", t.verdict());
      x.put("where", t.where());
      x.put("observed", t.observed());
      x.put("threshold", t.threshold());
      x.put("window", t.window());
      x.put("evidence", t.evidence());
      x.put("facts", t.facts());
      tr.add(x);
    }
    m.put("triggers", tr);
    m.put("compensations", events(compensations));
    m.put("failures", events(failures));
    m.put("verification", events(verification));
    m.put("notifications", events(notifications));
    m.put("resumes", events(resumes));
    m.put("soak", events(soak));
    List<Map<String, Object>> errs = new ArrayList<>();
    for (InternalErrorReport e : internalErrors) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("at", e.at().toString());
      if (!e.step().isEmpty()) x.put("step", e.step());
      x.put("type", e.type());
      x.put("message", e.message());
      x.put("stackTrace", e.stackTrace());
      errs.add(x);
    }
    m.put("internalErrors", errs);
    m.put("problems", problems());
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the report of run " + runId() + " as JSON", e);
    }
  }

  private static List<Map<String, Object>> events(List<Event> events) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (Event e : events) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("at", e.at().toString());
      x.put("type", e.type());
      if (!e.step().isEmpty()) x.put("step", e.step());
      x.put("text", e.text());
      out.add(x);
    }
    return out;
  }

  private static @Nullable String str(@Nullable Instant i) {
    return i == null ? null : i.toString();
  }

  private static String time(@Nullable Instant i) {
    return i == null ? "—" : ReportFormat.time(i);
  }

  /** The report as Markdown, for a ticket, a chat message or a post-mortem. Times are UTC, to the millisecond. */
  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(mode().equals("release") ? "Release" : "Rollback").append(" report: ").append(esc(plan())).append("\n\n");
    md.append("| | |\n|---|---|\n");
    row(md, "Outcome", verified() ? "**" + outcome() + "**"
        : "**NOT VERIFIED** (" + outcome() + " by its steps; nothing defines recovered: no verifiedBy check, no soak)");
    row(md, "Summary", summary());
    row(md, "Deployment", deployment());
    row(md, "Run", "`" + runId() + "`");
    row(md, "Why it started", reason());
    row(md, "Started (UTC)", time(startedAt().orElse(null)));
    row(md, "Finished (UTC)", time(finishedAt().orElse(null)));
    row(md, "Elapsed", elapsed().map(ReportFormat::duration).orElse("—"));
    row(md, "Plan fingerprint", "`" + history.fingerprint() + "`");
    md.append("\n## Steps\n\n| step | status | attempts | started (UTC) | duration | error / notes |\n|---|---|---:|---|---:|---|\n");
    for (StepReport s : steps) {
      List<String> detail = new ArrayList<>();
      if (!s.error().isEmpty()) detail.add(s.error());
      if (!s.how().isEmpty()) detail.add(s.how());
      detail.addAll(s.notes());
      md.append("| ").append(esc(s.path())).append(" | ").append(s.status()).append(" | ").append(s.attempts())
          .append(" | ").append(time(s.startedAt()))
          .append(" | ").append(s.duration() == null ? "—" : ReportFormat.duration(s.duration()))
          .append(" | ").append(esc(String.join("; ", detail))).append(" |\n");
    }
    if (!triggers.isEmpty() || !compensations.isEmpty()) {
      md.append("\n## Trigger evidence\n\n");
      for (TriggerReport t : triggers) {
        md.append("- ").append(ReportFormat.time(t.at())).append(" — **").append(esc(t.trigger())).append("** said ")
            .append(t.verdict()).append(t.where().isEmpty() ? "" : " " + esc(t.where()));
        List<String> figures = new ArrayList<>();
        if (!t.observed().isEmpty()) figures.add("observed " + t.observed());
        if (!t.threshold().isEmpty()) figures.add("threshold " + t.threshold());
        if (!t.window().isEmpty()) figures.add("window " + t.window());
        if (!figures.isEmpty()) md.append(" (").append(esc(String.join(", ", figures))).append(")");
        md.append(": ").append(esc(t.evidence())).append('\n');
      }
      for (Event e : compensations) md.append("- ").append(ReportFormat.time(e.at())).append(" — ").append(esc(e.text())).append('\n');
    }
    md.append("\n## Decisions\n\n");
    if (decisions.isEmpty()) md.append("No gate was opened.\n");
    for (DecisionReport d : decisions) {
      md.append("- **").append(esc(d.gate())).append("** (").append(d.kind()).append(", `").append(esc(d.step())).append("`): ")
          .append(d.decision().isEmpty() ? "undecided" : d.decision() + " by " + esc(d.actor())
              + (d.timedOut() ? " (timed out" + (d.defaultChosenByAuthor() ? "; default chosen by the plan author, not HALT" : "") + ")" : ""))
          .append(d.decidedAt() == null ? "" : " at " + ReportFormat.time(d.decidedAt())).append("  \n  ").append(esc(d.question())).append('\n');
    }
    if (!failures.isEmpty()) {
      md.append("\n## Failures\n\n");
      for (Event e : failures) {
        md.append("- ").append(ReportFormat.time(e.at())).append(e.step().isEmpty() ? "" : " `" + esc(e.step()) + "`")
            .append(": ").append(esc(e.text())).append('\n');
      }
    }
    if (!verification.isEmpty()) {
      md.append("\n## Verification\n\n");
      for (Event e : verification) md.append("- ").append(esc(e.text())).append('\n');
    }
    if (!soak.isEmpty()) {
      md.append("\n## Soak\n\n");
      for (Event e : soak) {
        md.append("- ").append(ReportFormat.time(e.at())).append(" — ")
            .append(e.type().equals("SOAK_REGRESSED") ? "**recovery did not hold**: " : e.type().equals("SOAK_HELD") ? "held: " : "")
            .append(esc(e.text())).append('\n');
      }
    }
    if (!notifications.isEmpty()) {
      md.append("\n## Notifications\n\n");
      for (Event e : notifications) md.append("- ").append(ReportFormat.time(e.at())).append(" ").append(esc(e.text())).append('\n');
    }
    if (!resumes.isEmpty()) {
      md.append("\n## Resumes\n\n");
      for (Event e : resumes) md.append("- ").append(ReportFormat.time(e.at())).append(" — ").append(esc(e.text())).append('\n');
    }
    if (!internalErrors.isEmpty()) {
      md.append("\n## Internal errors\n\nThe engine itself failed; the run halted. Please report this with the trace.\n\n");
      for (InternalErrorReport e : internalErrors) {
        md.append("- ").append(ReportFormat.time(e.at())).append(e.step().isEmpty() ? "" : " `" + esc(e.step()) + "`")
            .append(": ").append(esc(e.type())).append(": ").append(esc(e.message())).append("\n\n```\n")
            .append(e.stackTrace().replace("```", "'''")).append("```\n");
      }
    }
    if (!problems().isEmpty()) {
      md.append("\n## Journal problems\n\n");
      for (String p : problems()) md.append("- ").append(esc(p)).append('\n');
    }
    return md.toString();
  }

  private static void row(StringBuilder md, String k, @Nullable String v) {
    md.append("| ").append(k).append(" | ").append(v == null || v.isEmpty() ? "—" : esc(v)).append(" |\n");
  }

  private static String esc(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }
}
