package dev.rollback.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
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
 * process, or by the older application after a rollback): outcome, each step's attempts and
 * timings, the decisions taken at gates and by whom, trigger evidence, failures with their causes,
 * verification, notifications and journal problems.
 */
public final class RunReport {

  /** One step path's history. */
  public record StepReport(String path, String status, int attempts, @Nullable Instant startedAt,
      @Nullable Instant finishedAt, long millis, String error, String note) {}

  /** One gate and its decision. */
  public record DecisionReport(String gateId, String gate, String kind, String step, String question,
      String decision, String actor, boolean timedOut, boolean defaultChosenByAuthor,
      @Nullable Instant openedAt, @Nullable Instant decidedAt) {}

  /** Something that went wrong or was notable, at a point in time. */
  public record Event(Instant at, String type, String step, String text) {}

  private final String runId;
  private final String plan;
  private final String mode;
  private final String deployment;
  private final String fingerprint;
  private final String reason;
  private final String outcome;
  private final String summary;
  private final @Nullable Instant startedAt;
  private final @Nullable Instant finishedAt;
  private final List<StepReport> steps;
  private final List<DecisionReport> decisions;
  private final List<Event> triggers;
  private final List<Event> failures;
  private final List<Event> verification;
  private final List<Event> notifications;
  private final List<String> problems;

  private RunReport(Builder b) {
    this.runId = b.runId;
    this.plan = b.plan;
    this.mode = b.mode;
    this.deployment = b.deployment;
    this.fingerprint = b.fingerprint;
    this.reason = b.reason;
    this.outcome = b.outcome;
    this.summary = b.summary;
    this.startedAt = b.startedAt;
    this.finishedAt = b.finishedAt;
    this.steps = List.copyOf(b.steps.values());
    this.decisions = List.copyOf(b.decisions.values());
    this.triggers = List.copyOf(b.triggers);
    this.failures = List.copyOf(b.failures);
    this.verification = List.copyOf(b.verification);
    this.notifications = List.copyOf(b.notifications);
    this.problems = List.copyOf(b.problems);
  }

  /** The report of {@code runId}, read from {@code journal}; journal problems (a torn tail) are listed in it. */
  public static RunReport of(Journal journal, String runId) {
    JournalRead read = journal.read(runId);
    if (read.isEmpty()) {
      throw new IllegalArgumentException("journal " + journal + " has no records for run " + runId);
    }
    return of(read.records(), read.problems());
  }

  public static RunReport of(List<JournalRecord> records) {
    return of(records, List.of());
  }

  public static RunReport of(List<JournalRecord> records, List<String> problems) {
    Builder b = new Builder();
    b.problems.addAll(problems);
    for (JournalRecord r : records) b.add(r);
    return new RunReport(b);
  }

  public String runId() { return runId; }
  public String plan() { return plan; }
  public String mode() { return mode; }
  public String deployment() { return deployment; }
  public String outcome() { return outcome; }
  public String summary() { return summary; }
  public Optional<Instant> startedAt() { return Optional.ofNullable(startedAt); }
  public Optional<Instant> finishedAt() { return Optional.ofNullable(finishedAt); }
  public List<StepReport> steps() { return steps; }
  public List<DecisionReport> decisions() { return decisions; }
  public List<Event> triggers() { return triggers; }
  public List<Event> failures() { return failures; }
  public List<Event> verification() { return verification; }
  public List<Event> notifications() { return notifications; }
  public List<String> problems() { return problems; }

  public Optional<Duration> elapsed() {
    return startedAt == null || finishedAt == null ? Optional.empty() : Optional.of(Duration.between(startedAt, finishedAt));
  }

  private static final ObjectMapper JSON = new ObjectMapper()
      .findAndRegisterModules()
      .enable(SerializationFeature.INDENT_OUTPUT);

  /** The report as pretty-printed JSON. */
  public String toJson() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("runId", runId);
    m.put("plan", plan);
    m.put("mode", mode);
    m.put("deployment", deployment);
    m.put("fingerprint", fingerprint);
    m.put("reason", reason);
    m.put("outcome", outcome);
    m.put("summary", summary);
    m.put("startedAt", str(startedAt));
    m.put("finishedAt", str(finishedAt));
    m.put("elapsedMillis", elapsed().map(Duration::toMillis).orElse(null));
    List<Map<String, Object>> st = new ArrayList<>();
    for (StepReport s : steps) {
      Map<String, Object> x = new LinkedHashMap<>();
      x.put("path", s.path());
      x.put("status", s.status());
      x.put("attempts", s.attempts());
      x.put("startedAt", str(s.startedAt()));
      x.put("finishedAt", str(s.finishedAt()));
      x.put("millis", s.millis());
      if (!s.error().isEmpty()) x.put("error", s.error());
      if (!s.note().isEmpty()) x.put("note", s.note());
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
    m.put("triggers", events(triggers));
    m.put("failures", events(failures));
    m.put("verification", events(verification));
    m.put("notifications", events(notifications));
    m.put("problems", problems);
    try {
      return JSON.writeValueAsString(m);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render the report of run " + runId + " as JSON", e);
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

  /** The report as Markdown, for a ticket, a chat message or a post-mortem. */
  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(mode.equals("release") ? "Release" : "Rollback").append(" report: ").append(plan).append("\n\n");
    md.append("| | |\n|---|---|\n");
    row(md, "Outcome", "**" + outcome + "**");
    row(md, "Summary", summary);
    row(md, "Deployment", deployment);
    row(md, "Run", "`" + runId + "`");
    row(md, "Why it started", reason);
    row(md, "Started", str(startedAt));
    row(md, "Finished", str(finishedAt));
    row(md, "Elapsed", elapsed().map(d -> d.toMillis() + " ms").orElse("—"));
    row(md, "Plan fingerprint", "`" + fingerprint + "`");
    md.append("\n## Steps\n\n| step | status | attempts | started | duration | error |\n|---|---|---:|---|---:|---|\n");
    for (StepReport s : steps) {
      md.append("| ").append(esc(s.path())).append(" | ").append(s.status()).append(" | ").append(s.attempts())
          .append(" | ").append(s.startedAt() == null ? "—" : s.startedAt().toString())
          .append(" | ").append(s.millis()).append(" ms | ").append(esc(s.error().isEmpty() ? s.note() : s.error())).append(" |\n");
    }
    if (!triggers.isEmpty()) {
      md.append("\n## Trigger evidence\n\n");
      for (Event e : triggers) md.append("- ").append(e.at()).append(" — ").append(esc(e.text())).append('\n');
    }
    md.append("\n## Decisions\n\n");
    if (decisions.isEmpty()) md.append("No gate was opened.\n");
    for (DecisionReport d : decisions) {
      md.append("- **").append(esc(d.gate())).append("** (").append(d.kind()).append(", `").append(esc(d.step())).append("`): ")
          .append(d.decision().isEmpty() ? "undecided" : d.decision() + " by " + esc(d.actor())
              + (d.timedOut() ? " (timed out" + (d.defaultChosenByAuthor() ? "; default chosen by the plan author, not HALT" : "") + ")" : ""))
          .append(d.decidedAt() == null ? "" : " at " + d.decidedAt()).append("  \n  ").append(esc(d.question())).append('\n');
    }
    if (!failures.isEmpty()) {
      md.append("\n## Failures\n\n");
      for (Event e : failures) md.append("- ").append(e.at()).append(" `").append(esc(e.step())).append("`: ").append(esc(e.text())).append('\n');
    }
    if (!verification.isEmpty()) {
      md.append("\n## Verification\n\n");
      for (Event e : verification) md.append("- ").append(esc(e.text())).append('\n');
    }
    if (!notifications.isEmpty()) {
      md.append("\n## Notifications\n\n");
      for (Event e : notifications) md.append("- ").append(e.at()).append(" ").append(esc(e.text())).append('\n');
    }
    if (!problems.isEmpty()) {
      md.append("\n## Journal problems\n\n");
      for (String p : problems) md.append("- ").append(esc(p)).append('\n');
    }
    return md.toString();
  }

  private static void row(StringBuilder md, String k, @Nullable String v) {
    md.append("| ").append(k).append(" | ").append(v == null || v.isEmpty() ? "—" : esc(v)).append(" |\n");
  }

  private static String esc(String s) {
    return s.replace("|", "\\|").replace("\n", " ");
  }

  private static final class Builder {
    String runId = "";
    String plan = "";
    String mode = "";
    String deployment = "";
    String fingerprint = "";
    String reason = "";
    String outcome = "RUNNING";
    String summary = "the run has not finished (or its process stopped before it could say so)";
    @Nullable Instant startedAt;
    @Nullable Instant finishedAt;
    final Map<String, StepReport> steps = new LinkedHashMap<>();
    final Map<String, DecisionReport> decisions = new LinkedHashMap<>();
    final List<Event> triggers = new ArrayList<>();
    final List<Event> failures = new ArrayList<>();
    final List<Event> verification = new ArrayList<>();
    final List<Event> notifications = new ArrayList<>();
    final List<String> problems = new ArrayList<>();

    void add(JournalRecord r) {
      runId = r.runId();
      String step = r.step() == null ? "" : r.step();
      RecordType t = RecordType.parse(r.type());
      if (t == null) return;
      switch (t) {
        case RUN_CREATED, PLAN_STARTED -> {
          plan = r.stringOr("plan", plan);
          mode = r.stringOr("mode", mode);
          deployment = r.stringOr("deployment", deployment);
          fingerprint = r.stringOr("fingerprint", fingerprint);
          if (t == RecordType.PLAN_STARTED) {
            reason = r.stringOr("reason", reason);
            startedAt = r.at();
          }
        }
        case PLAN_RESUMED -> {
          outcome = "RUNNING";
          problems.add("resumed at " + r.at() + ": " + r.stringOr("reason", ""));
        }
        case STEP_STARTED -> {
          StepReport s = steps.get(step);
          int attempt = (int) r.longOr("attempt", 1);
          steps.put(step, new StepReport(step, "STARTED", attempt, s == null ? r.at() : s.startedAt(), null, 0, "", ""));
        }
        case STEP_SUCCEEDED -> {
          StepReport s = steps.get(step);
          Instant start = s == null ? r.at() : s.startedAt();
          boolean reconciled = r.flag("reconciled");
          steps.put(step, new StepReport(step, reconciled ? "ALREADY_APPLIED" : "SUCCEEDED",
              (int) r.longOr("attempt", s == null ? 0 : s.attempts()), start, r.at(),
              start == null ? 0 : Duration.between(start, r.at()).toMillis(), "", r.stringOr("how", "")));
        }
        case STEP_FAILED -> {
          StepReport s = steps.get(step);
          Instant start = s == null ? r.at() : s.startedAt();
          String error = r.stringOr("error", "");
          boolean fin = r.flag("final");
          steps.put(step, new StepReport(step, fin ? "FAILED" : "RETRYING", (int) r.longOr("attempt", 0), start, r.at(),
              start == null ? 0 : Duration.between(start, r.at()).toMillis(), error, ""));
          failures.add(new Event(r.at(), "STEP_FAILED", step, "attempt " + r.longOr("attempt", 0) + ": " + error));
        }
        case STEP_CANCELLED -> {
          StepReport s = steps.get(step);
          steps.put(step, new StepReport(step, "CANCELLED", s == null ? 0 : s.attempts(), s == null ? r.at() : s.startedAt(),
              r.at(), 0, r.stringOr("reason", ""), ""));
        }
        case STEP_SKIPPED -> {
          StepReport s = steps.get(step);
          steps.put(step, new StepReport(step, "SKIPPED", s == null ? 0 : s.attempts(), s == null ? null : s.startedAt(),
              r.at(), 0, s == null ? "" : s.error(), r.stringOr("reason", "")));
        }
        case GATE_OPENED -> {
          String id = r.stringOr("gateId", "");
          decisions.put(id, new DecisionReport(id, r.stringOr("gate", ""), r.stringOr("kind", ""), step,
              r.stringOr("question", ""), "", "", false, r.flag("onTimeoutChosenByAuthor"), r.at(), null));
        }
        case GATE_DECIDED -> {
          String id = r.stringOr("gateId", "");
          DecisionReport d = decisions.get(id);
          decisions.put(id, new DecisionReport(id, d == null ? "" : d.gate(), d == null ? "" : d.kind(), step,
              d == null ? "" : d.question(), r.stringOr("decision", ""), r.stringOr("actor", ""), r.flag("timedOut"),
              d != null && d.defaultChosenByAuthor(), d == null ? null : d.openedAt(), r.at()));
        }
        case TRIGGER_FIRED -> triggers.add(new Event(r.at(), r.stringOr("verdict", ""), step,
            r.stringOr("trigger", "") + " " + r.stringOr("verdict", "") + " " + r.stringOr("where", "") + ": " + r.stringOr("evidence", "")));
        case RELEASE_REVERTING -> triggers.add(new Event(r.at(), "RELEASE_REVERTING", step, "reverting: " + r.stringOr("reason", "")));
        case ABANDONING -> triggers.add(new Event(r.at(), "ABANDONING", step, "abandoning the rollback: " + r.stringOr("reason", "")));
        case HEALTH_CHECKED -> {
          String text = r.stringOr("check", "") + " " + r.stringOr("status", "") + " in " + r.longOr("latencyMillis", 0)
              + " ms: " + r.stringOr("detail", "");
          if ("verify".equals(step)) verification.add(new Event(r.at(), "VERIFY", step, text));
        }
        case BUDGET_EXCEEDED -> failures.add(new Event(r.at(), "BUDGET_EXCEEDED", "",
            "budget " + r.stringOr("budget", "") + " exceeded after " + r.stringOr("elapsed", "")));
        case NOTE -> {
          StepReport s = steps.get(step);
          if (s != null) {
            steps.put(step, new StepReport(s.path(), s.status(), s.attempts(), s.startedAt(), s.finishedAt(), s.millis(),
                s.error(), r.stringOr("message", "")));
          }
        }
        case NOTIFICATION -> notifications.add(new Event(r.at(), r.stringOr("status", ""), "",
            r.stringOr("kind", "") + " to " + r.stringOr("audience", "") + " via " + r.stringOr("channel", "") + ": "
                + r.stringOr("status", "") + " after " + r.longOr("attempts", 0) + " attempt(s)"
                + (r.has("error") ? " — " + r.stringOr("error", "") : "")));
        case JOURNAL_REPAIRED -> problems.add(r.stringOr("problem", "journal repaired"));
        case PLAN_COMPLETED -> {
          outcome = r.stringOr("outcome", outcome);
          summary = r.stringOr("summary", summary);
          finishedAt = r.at();
        }
        default -> { }
      }
    }
  }
}
