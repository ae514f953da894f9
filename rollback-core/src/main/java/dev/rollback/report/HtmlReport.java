package dev.rollback.report;

import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.RunHistory;
import dev.rollback.report.TimelineEntry.Kind;
import dev.rollback.report.TimelineEntry.Milestone;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A post-mortem draft as one self-contained HTML page: inline CSS, no scripts, no external
 * resources, every text escaped, and an SVG chart of the timeline (a bar per step from start to
 * outcome, markers for triggers, gates, health checks and notifications, and dashed lines at the
 * milestones). It opens from a file, an e-mail attachment or an incident ticket as it is.
 */
public final class HtmlReport {
  static final int WIDTH = 960;
  static final int LABEL = 200;
  static final int ROW = 22;

  private HtmlReport() {}

  public static String of(PostMortem pm) {
    Objects.requireNonNull(pm, "post-mortem");
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(esc(pm.title())).append("</title>\n<style>\n")
        .append("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\n")
        .append("table{border-collapse:collapse;width:100%;font-size:0.9em}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}\n")
        .append("th{background:#f3f3f3}.meta{color:#555}.fill{color:#a15c00;font-style:italic}svg{border:1px solid #ddd;background:#fff}\n")
        .append("</style>\n</head>\n<body>\n");
    h.append("<h1>").append(esc(pm.title())).append("</h1>\n");
    h.append("<p class=\"meta\">Date: ").append(esc(pm.timeline().started().map(PostMortem::time).orElse("?")))
        .append(" UTC · Status: Draft (generated from the journal) · Run ").append(esc(pm.timeline().runId())).append("</p>\n");
    h.append("<h2>Timeline chart</h2>\n").append(svg(pm.timeline())).append('\n');
    for (PostMortem.Section s : pm.sections()) {
      h.append("<h2>").append(esc(s.title())).append("</h2>\n");
      for (String para : s.paragraphs()) {
        if (para.startsWith("- ")) {
          h.append("<ul>");
          for (String li : para.split("\n")) h.append("<li>").append(text(li.replaceFirst("^- ", ""))).append("</li>");
          h.append("</ul>\n");
        } else {
          h.append("<p>").append(text(para)).append("</p>\n");
        }
      }
      if (!s.table().isEmpty()) {
        h.append("<table>\n<tr>");
        s.table().get(0).forEach(c -> h.append("<th>").append(esc(c)).append("</th>"));
        h.append("</tr>\n");
        for (List<String> row : s.table().subList(1, s.table().size())) {
          h.append("<tr>");
          row.forEach(c -> h.append("<td>").append(esc(c)).append("</td>"));
          h.append("</tr>\n");
        }
        h.append("</table>\n");
      }
    }
    h.append("</body>\n</html>\n");
    return h.toString();
  }

  /** Escapes, then shows the "to be filled in" marker as such. */
  private static String text(String s) {
    String e = esc(s);
    String fill = esc(PostMortem.TO_FILL);
    return e.replace(fill, "<span class=\"fill\">" + esc(PostMortem.TO_FILL.replace("_", "")) + "</span>");
  }

  /** The timeline as an SVG element. */
  public static String svg(Timeline t) {
    List<TimelineEntry> entries = t.entries();
    Instant t0 = t.started().orElse(entries.isEmpty() ? Instant.EPOCH : entries.get(0).at());
    Instant t1 = t0;
    for (TimelineEntry e : entries) if (e.at().isAfter(t1)) t1 = e.at();
    long span = Math.max(1, Duration.between(t0, t1).toMillis());

    // rows: fixed kinds on top, then one row per step
    Map<String, List<TimelineEntry>> rows = new LinkedHashMap<>();
    rows.put("run", new ArrayList<>());
    rows.put("triggers", new ArrayList<>());
    rows.put("gates", new ArrayList<>());
    Map<String, List<long[]>> bars = new LinkedHashMap<>();
    for (TimelineEntry e : entries) {
      switch (e.kind()) {
        case RUN, BUDGET, NOTE -> rows.get("run").add(e);
        case TRIGGER -> rows.get("triggers").add(e);
        case GATE -> rows.get("gates").add(e);
        case HEALTH -> rows.computeIfAbsent("health", k -> new ArrayList<>()).add(e);
        case NOTIFICATION -> rows.computeIfAbsent("notifications", k -> new ArrayList<>()).add(e);
        default -> { }
      }
    }
    // one bar per attempt, coloured by how it ended; its title gives the step's duration, the figure every report shows
    Map<String, long[]> open = new LinkedHashMap<>();
    Map<String, List<String>> titles = new LinkedHashMap<>();
    Map<String, List<String>> states = new LinkedHashMap<>();
    for (RunHistory.Entry en : t.history().entries()) {
      JournalEvent ev = en.event();
      String step = en.step();
      long x = Duration.between(t0, en.at()).toMillis();
      if (ev instanceof JournalEvent.StepStarted st) {
        open.put(step, new long[] {x, st.attempt()});
        bars.computeIfAbsent(step, k -> new ArrayList<>());
        continue;
      }
      String state;
      String what;
      if (ev instanceof JournalEvent.StepSucceeded) {
        state = "ok";
        what = "succeeded";
      } else if (ev instanceof JournalEvent.StepFailed f) {
        state = "bad";
        what = "failed: " + f.error();
      } else if (ev instanceof JournalEvent.StepCancelled c) {
        state = "bad";
        what = "cancelled: " + c.reason();
      } else if (ev instanceof JournalEvent.StepSkipped sk) {
        state = "skip";
        what = "skipped: " + sk.reason();
      } else {
        continue;
      }
      long[] o = open.remove(step);
      bars.computeIfAbsent(step, k -> new ArrayList<>()).add(new long[] {o == null ? x : o[0], x});
      String stepTook = t.stepDuration(step).map(d -> "; the step took " + ReportFormat.duration(d)).orElse("");
      titles.computeIfAbsent(step, k -> new ArrayList<>()).add(step + (o == null ? "" : ", attempt " + o[1]) + ": " + what
          + stepTook);
      states.computeIfAbsent(step, k -> new ArrayList<>()).add(state);
    }
    open.forEach((step, o) -> {
      bars.get(step).add(new long[] {o[0], span});
      titles.computeIfAbsent(step, k -> new ArrayList<>()).add(step + ", attempt " + o[1] + ": still running");
      states.computeIfAbsent(step, k -> new ArrayList<>()).add("open");
    });
    List<String> labels = new ArrayList<>();
    rows.forEach((k, v) -> labels.add(k));
    labels.addAll(bars.keySet());
    int height = 40 + labels.size() * ROW + 20;
    int plot = WIDTH - LABEL - 20;
    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(height)
        .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height).append("\" role=\"img\" aria-label=\"")
        .append(esc("Timeline of run " + t.runId())).append("\">\n");
    s.append("<style>text{font:11px sans-serif}</style>\n");
    // axis
    s.append(line(LABEL, 30, LABEL + plot, 30, "#999", false));
    for (int i = 0; i <= 4; i++) {
      int x = LABEL + plot * i / 4;
      s.append("<text x=\"").append(x).append("\" y=\"22\" text-anchor=\"middle\">+")
          .append(esc(PostMortem.duration(Duration.ofMillis(span * i / 4)))).append("</text>\n");
    }
    int y = 40;
    for (String label : labels) {
      s.append("<text x=\"").append(LABEL - 6).append("\" y=\"").append(y + 14).append("\" text-anchor=\"end\">")
          .append(esc(label.length() > 32 ? label.substring(0, 31) + "…" : label)).append("</text>\n");
      List<TimelineEntry> marks = rows.get(label);
      if (marks != null) {
        for (TimelineEntry e : marks) {
          int x = LABEL + (int) (plot * Duration.between(t0, e.at()).toMillis() / span);
          s.append("<circle cx=\"").append(x).append("\" cy=\"").append(y + 10).append("\" r=\"5\" fill=\"")
              .append(color(e)).append("\"><title>").append(esc(PostMortem.time(e.at()) + " " + e.actor() + ": " + e.text()))
              .append("</title></circle>\n");
        }
      } else {
        List<long[]> bs = bars.get(label);
        for (int i = 0; i < bs.size(); i++) {
          long[] b = bs.get(i);
          int x0 = LABEL + (int) (plot * b[0] / span);
          int x1 = Math.max(x0 + 3, LABEL + (int) (plot * b[1] / span));
          String fill = switch (states.get(label).get(i)) {
            case "ok" -> "#3a9d5d";
            case "skip" -> "#999999";
            case "bad" -> "#c0392b";
            default -> "#e0a800";
          };
          s.append("<rect x=\"").append(x0).append("\" y=\"").append(y + 4).append("\" width=\"").append(x1 - x0)
              .append("\" height=\"12\" fill=\"").append(fill).append("\"><title>")
              .append(esc(titles.get(label).get(i))).append("</title></rect>\n");
        }
      }
      y += ROW;
    }
    for (Milestone m : Milestone.values()) {
      t.milestone(m).ifPresent(at -> {
        int x = LABEL + (int) (plot * Duration.between(t0, at).toMillis() / span);
        s.append(line(x, 32, x, height - 14, "#555", true));
        s.append("<text x=\"").append(x + 2).append("\" y=\"").append(height - 4).append("\">")
            .append(esc(m.name().toLowerCase(Locale.ROOT))).append("</text>\n");
      });
    }
    s.append("</svg>");
    return s.toString();
  }

  private static String color(TimelineEntry e) {
    if (e.kind() == Kind.TRIGGER) return "#c0392b";
    if (e.kind() == Kind.GATE) return e.actor().type() == TimelineEntry.Actor.Type.HUMAN ? "#2c6fbb" : "#e0a800";
    if (e.kind() == Kind.NOTIFICATION) return e.text().contains(": SENT") ? "#3a9d5d" : "#c0392b";
    if (e.kind() == Kind.HEALTH) return e.text().contains(" UP") ? "#3a9d5d" : "#c0392b";
    if (e.kind() == Kind.BUDGET || e.kind() == Kind.ESCALATION) return "#e0a800";
    return "#555555";
  }

  private static String line(int x1, int y1, int x2, int y2, String color, boolean dashed) {
    return "<line x1=\"" + x1 + "\" y1=\"" + y1 + "\" x2=\"" + x2 + "\" y2=\"" + y2 + "\" stroke=\"" + color + "\""
        + (dashed ? " stroke-dasharray=\"4 3\"" : "") + "/>\n";
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
