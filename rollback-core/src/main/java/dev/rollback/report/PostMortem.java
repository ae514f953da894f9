package dev.rollback.report;

import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.report.TimelineEntry.Actor;
import dev.rollback.report.TimelineEntry.Kind;
import dev.rollback.report.TimelineEntry.Milestone;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A post-mortem draft in the Google SRE sections (summary, impact, root causes, trigger,
 * resolution, detection, action items, lessons learned, timeline, supporting information),
 * pre-filled with what the library knows from the journal and marked where a human must write.
 * Every automated rollback is a post-mortem trigger in the SRE book's terms, so the draft is
 * written for every run. {@link #toMarkdown()} renders it; {@link HtmlReport} renders it as one
 * self-contained page with an SVG timeline.
 */
public final class PostMortem {
  /** What a human fills in. */
  public static final String TO_FILL = "_To be filled in by the team._";

  /** One section: paragraphs (Markdown-safe sentences) and an optional table whose first row is the header. */
  public record Section(String title, List<String> paragraphs, List<List<String>> table) {
    public Section {
      Objects.requireNonNull(title, "title");
      paragraphs = List.copyOf(paragraphs);
      table = table.stream().map(List::copyOf).toList();
    }
  }

  /** An action item as the SRE template lists them. */
  public record ActionItem(String action, String type, String owner, String bug) {}

  private final Timeline timeline;
  private final String title;
  private final List<Section> sections;
  private final List<ActionItem> actionItems;

  private PostMortem(Timeline timeline, String title, List<Section> sections, List<ActionItem> actionItems) {
    this.timeline = timeline;
    this.title = title;
    this.sections = List.copyOf(sections);
    this.actionItems = List.copyOf(actionItems);
  }

  public static PostMortem of(Journal journal, String runId) {
    return of(Timeline.of(journal, runId));
  }

  public static PostMortem of(List<JournalRecord> records) {
    return of(Timeline.of(records));
  }

  public static PostMortem of(Timeline t) {
    Objects.requireNonNull(t, "timeline");
    String title = "Post-mortem: " + (t.mode().equals("release") ? "release " : "rollback of ") + t.deployment()
        + " (" + t.plan() + ")";
    List<ActionItem> actions = actionItems(t);
    List<Section> s = new ArrayList<>();
    s.add(new Section("Summary", List.of(summary(t)), List.of()));
    s.add(new Section("Impact", impact(t), List.of()));
    s.add(new Section("Root Causes", List.of(TO_FILL + " The library knows what went wrong with the release (see Trigger), not why."), List.of()));
    s.add(new Section("Trigger", trigger(t), List.of()));
    s.add(new Section("Resolution", resolution(t), resolutionTable(t)));
    s.add(new Section("Detection", detection(t), List.of()));
    List<List<String>> actionTable = new ArrayList<>();
    actionTable.add(List.of("Action item", "Type", "Owner", "Bug"));
    actions.forEach(a -> actionTable.add(List.of(a.action(), a.type(), a.owner(), a.bug())));
    s.add(new Section("Action Items", List.of(), actionTable));
    s.add(new Section("Lessons Learned", lessons(t), List.of()));
    s.add(new Section("Timeline", List.of("All times UTC. Actors: the library's automation, named humans, gate timeouts."),
        timelineTable(t)));
    s.add(new Section("Supporting information", supporting(t), List.of()));
    return new PostMortem(t, title, s, actions);
  }

  public String title() { return title; }
  public Timeline timeline() { return timeline; }
  public List<Section> sections() { return sections; }
  public List<ActionItem> actionItems() { return actionItems; }

  public Optional<Section> section(String title) {
    return sections.stream().filter(s -> s.title().equals(title)).findFirst();
  }

  // ------------------------------------------------------------------ content

  static String time(Instant i) {
    return ReportFormat.time(i);
  }

  static String duration(Duration d) {
    return ReportFormat.duration(d);
  }

  private static String or(Optional<Duration> d, String otherwise) {
    return d.map(PostMortem::duration).orElse(otherwise);
  }

  private static String summary(Timeline t) {
    StringBuilder b = new StringBuilder();
    if (t.mode().equals("release")) {
      b.append("Release ").append(t.deployment()).append(" (plan ").append(t.plan()).append(")");
      b.append(t.milestone(Milestone.DETECTED).isPresent() ? " was found bad and reverted automatically" : " went out");
    } else {
      b.append(t.deployment()).append(" was rolled back by plan ").append(t.plan());
    }
    b.append("; the run ended ").append(t.outcome().isEmpty() ? "(still running)" : outcome(t)).append('.');
    t.timeToDetect().ifPresent(d -> b.append(" Time to detect: ").append(duration(d)).append('.'));
    t.timeToMitigate().ifPresent(d -> b.append(" Time to mitigate: ").append(duration(d)).append('.'));
    List<String> humans = t.humans();
    b.append(humans.isEmpty() ? " No human had to decide anything." : " Decisions by: " + String.join(", ", humans) + ".");
    return b.toString();
  }

  private static List<String> impact(Timeline t) {
    List<String> p = new ArrayList<>();
    Optional<Instant> start = t.started();
    Optional<Instant> mitigated = t.milestone(Milestone.MITIGATED);
    if (start.isPresent() && mitigated.isPresent()) {
      p.add("The bad release could affect users from " + time(start.get()) + " (the earliest moment the library knows of) until "
          + time(mitigated.get()) + ", when the rollback's last step finished: " + duration(Duration.between(start.get(), mitigated.get())) + ".");
    } else if (start.isPresent()) {
      p.add("The bad release could affect users from " + time(start.get()) + "; the library did not record a mitigation (outcome "
          + (t.outcome().isEmpty() ? "unknown" : t.outcome()) + ").");
    }
    p.add(TO_FILL + " Users, requests or revenue affected; SLO budget consumed.");
    return p;
  }

  private static List<String> trigger(Timeline t) {
    List<String> p = new ArrayList<>();
    if (!t.reason().isEmpty()) p.add("The run started because: " + t.reason());
    for (TimelineEntry e : t.entries(Kind.TRIGGER)) p.add(time(e.at()) + ": " + e.text());
    if (p.isEmpty()) p.add("No trigger evidence in the journal. " + TO_FILL);
    return p;
  }

  private static List<String> detection(Timeline t) {
    List<String> p = new ArrayList<>();
    Optional<TimelineEntry> detected = t.entries().stream()
        .filter(e -> e.milestoneMarked().filter(m -> m == Milestone.DETECTED).isPresent()).findFirst();
    if (detected.isPresent()) {
      p.add("Detected at " + time(detected.get().at()) + " by " + detected.get().actor() + ", "
          + or(t.timeToDetect(), "an unknown time") + " after the run was created.");
    } else {
      p.add("The journal shows no detection: the release was not found bad.");
    }
    t.milestone(Milestone.ACKNOWLEDGED).ifPresent(a -> p.add("A human first acted at " + time(a) + ", "
        + or(t.timeToAcknowledge(), "?") + " after detection."));
    List<TimelineEntry> deliveries = t.entries(Kind.NOTIFICATION);
    long sent = deliveries.stream().filter(e -> e.text().contains(": SENT")).count();
    long notSent = deliveries.size() - sent;
    if (!deliveries.isEmpty()) {
      p.add(sent + " notification(s) delivered" + (notSent > 0 ? ", " + notSent + " not delivered (see Action Items)" : "") + ".");
    }
    for (TimelineEntry e : t.entries(Kind.ESCALATION)) p.add(time(e.at()) + ": " + e.text() + ".");
    return p;
  }

  private static List<String> resolution(Timeline t) {
    List<String> p = new ArrayList<>();
    p.add("The run ended " + (t.outcome().isEmpty() ? "(still running)" : outcome(t))
        + (t.summary().isEmpty() ? "" : ": " + t.summary()) + ".");
    t.rollbackDuration().ifPresent(d -> p.add("From detection to the last rollback step: " + duration(d) + "."));
    for (TimelineEntry e : t.entries(Kind.GATE)) {
      if (e.actor().type() != Actor.Type.AUTOMATION) p.add(time(e.at()) + ": " + e.text());
    }
    return p;
  }

  private static List<List<String>> resolutionTable(Timeline t) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("Step", "Last result", "At"));
    Set<String> seen = new LinkedHashSet<>();
    List<TimelineEntry> steps = t.entries(Kind.STEP);
    for (int i = steps.size() - 1; i >= 0; i--) {
      TimelineEntry e = steps.get(i);
      if (e.step().isEmpty() || e.text().startsWith("Stage ") || e.text().startsWith("Known-good")
          || e.text().contains(" started (attempt")) continue;
      if (seen.add(e.step())) rows.add(1, List.of(e.step(), e.text(), time(e.at())));
    }
    return rows.size() == 1 ? List.of() : rows;
  }

  private static List<ActionItem> actionItems(Timeline t) {
    List<ActionItem> a = new ArrayList<>();
    a.add(new ActionItem("Find and fix the root cause of the bad release of " + t.deployment(), "prevent", "TBD", ""));
    Set<String> failed = new LinkedHashSet<>();
    for (TimelineEntry e : t.entries(Kind.STEP)) if (e.text().contains(" failed (")) failed.add(e.step());
    failed.forEach(s -> a.add(new ActionItem("Make rollback step '" + s + "' reliable (it failed during this run)", "mitigate", "TBD", "")));
    for (TimelineEntry e : t.entries(Kind.GATE)) {
      if (e.actor().type() == Actor.Type.TIMEOUT) {
        a.add(new ActionItem("Nobody answered a gate in time (" + e.text() + "): review the gate's timeout and who is asked", "process", "TBD", ""));
      }
    }
    if (!t.entries(Kind.BUDGET).isEmpty()) {
      a.add(new ActionItem("The rollback exceeded its time budget: make the slow steps faster or revise the budget", "mitigate", "TBD", ""));
    }
    Set<String> channels = new LinkedHashSet<>();
    for (TimelineEntry e : t.entries(Kind.NOTIFICATION)) {
      if (!e.text().contains(": SENT") && !e.text().contains(": DEDUPLICATED")) channels.add(e.actor().name());
    }
    if (!t.entries(Kind.ESCALATION).isEmpty()) {
      a.add(new ActionItem("A page was escalated because nobody acknowledged it in time: review the on-call rota and"
          + " the escalation delays", "process", "TBD", ""));
    }
    channels.forEach(c -> a.add(new ActionItem("Fix notification channel '" + c + "' (messages were not delivered)", "process", "TBD", "")));
    if (!t.history().isVerified()) {
      a.add(new ActionItem("Define \"recovered\" for plan " + t.plan() + " (verifiedBy checks, or soakFor): this run completed"
          + " its steps but nothing told whether the service recovered", "mitigate", "TBD", ""));
    }
    if (!"RECOVERED".equals(t.outcome()) && !"RELEASED".equals(t.outcome())) {
      a.add(new ActionItem("The run ended " + (t.outcome().isEmpty() ? "unfinished" : t.outcome())
          + ": finish the recovery and record how", "mitigate", "TBD", ""));
    }
    return a;
  }

  private static List<String> lessons(Timeline t) {
    List<String> p = new ArrayList<>();
    List<String> well = new ArrayList<>();
    List<String> wrong = new ArrayList<>();
    if (t.milestone(Milestone.DETECTED).isPresent()) well.add("The release was detected as bad " + or(t.timeToDetect(), "") + " after the run was created.");
    if ("RECOVERED".equals(t.outcome()) && t.history().isVerified()) well.add("The rollback recovered and verification passed.");
    if (!t.history().isVerified()) {
      wrong.add("Nothing defined \"recovered\" for plan " + t.plan() + " (no verifiedBy check, no soak): the run completed its"
          + " steps, which is all it could tell.");
    }
    t.history().soak().filter(k -> k.isEnded() && !k.held())
        .ifPresent(k -> wrong.add("Recovery did not hold during the soak: " + k.evidence()));
    t.entries(Kind.STEP).stream().filter(e -> e.text().contains(" failed (")).forEach(e -> wrong.add(e.step() + ": " + e.text()));
    t.entries(Kind.GATE).stream().filter(e -> e.actor().type() == Actor.Type.TIMEOUT).forEach(e -> wrong.add(e.text()));
    t.entries(Kind.BUDGET).forEach(e -> wrong.add(e.text()));
    p.add("What went well:");
    p.add(well.isEmpty() ? "- " + TO_FILL : "- " + String.join("\n- ", well));
    p.add("What went wrong:");
    p.add(wrong.isEmpty() ? "- Nothing the library saw. " + TO_FILL : "- " + String.join("\n- ", wrong));
    p.add("Where we got lucky:");
    p.add("- " + TO_FILL);
    return p;
  }

  private static List<List<String>> timelineTable(Timeline t) {
    List<List<String>> rows = new ArrayList<>();
    rows.add(List.of("Time (UTC)", "Kind", "Actor", "What happened", "Milestone"));
    for (TimelineEntry e : t.entries()) {
      rows.add(List.of(time(e.at()), e.kind().name(), e.actor().toString(), e.text(),
          e.milestoneMarked().map(Enum::name).orElse("")));
    }
    return rows;
  }

  private static List<String> supporting(Timeline t) {
    List<String> p = new ArrayList<>();
    p.add("Run id: " + t.runId() + "; plan: " + t.plan() + "; mode: " + t.mode() + "; deployment: " + t.deployment() + ".");
    p.add("Time to detect: " + or(t.timeToDetect(), "n/a") + "; time to acknowledge: " + or(t.timeToAcknowledge(), "n/a")
        + "; time to mitigate: " + or(t.timeToMitigate(), "n/a") + "; time to resolve: " + or(t.timeToResolve(), "n/a") + ".");
    p.add("Written from the run's journal by the rollback library; the journal is the source of truth.");
    return p;
  }

  // ------------------------------------------------------------------ rendering

  /** The draft as Markdown. */
  public String toMarkdown() {
    StringBuilder md = new StringBuilder();
    md.append("# ").append(inline(title)).append("\n\n");
    md.append("**Date:** ").append(timeline.started().map(PostMortem::time).orElse("?")).append(" UTC  \n");
    md.append("**Authors:** ").append(TO_FILL).append("  \n");
    md.append("**Status:** Draft (generated from the journal)\n\n");
    for (Section s : sections) {
      md.append("## ").append(s.title()).append("\n\n");
      for (String para : s.paragraphs()) md.append(para).append("\n\n");
      if (!s.table().isEmpty()) {
        List<String> header = s.table().get(0);
        md.append("| ").append(String.join(" | ", header.stream().map(PostMortem::cell).toList())).append(" |\n");
        md.append("|").append("---|".repeat(header.size())).append('\n');
        for (List<String> row : s.table().subList(1, s.table().size())) {
          md.append("| ").append(String.join(" | ", row.stream().map(PostMortem::cell).toList())).append(" |\n");
        }
        md.append('\n');
      }
    }
    return md.toString();
  }

  private static String inline(String s) {
    return s.replace("\n", " ");
  }

  private static String cell(String s) {
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", "<br>");
  }

  @Override
  public String toString() {
    return "PostMortem[" + title + "]";
  }

  /** The outcome as reports say it: "NOT VERIFIED" for a RECOVERED run that nothing verified. */
  private static String outcome(Timeline t) {
    return t.history().isVerified() ? t.outcome() : "NOT VERIFIED (its steps completed; nothing defined recovered)";
  }

}
