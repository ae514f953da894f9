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
  static final int LABEL = 220;
  static final int ROW = 22;

  private HtmlReport() {}

  public static String of(PostMortem pm) {
    Objects.requireNonNull(pm, "post-mortem");
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>")
        .append(esc(pm.title())).append("</title>\n<style>\n")
        .append("body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\n")
        .append("table{border-collapse:collapse;width:100%;font-size:0.9em}td,th{border:1px solid #ccc;padding:4px 6px;text-align:left;vertical-align:top}\n")
        .append("th{background:#f3f3f3}.meta{color:#555}.fill{color:#a15c00;font-style:italic}svg{border:1px solid #ddd;background:#fff;max-width:100%;height:auto}\n")
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

  /** Colours of the step bars, by what the attempt was and how it ended. */
  static final String FORWARD = "#3a9d5d";
  static final String COMPENSATION = "#7e57c2";
  static final String FAILED = "#c0392b";
  static final String SKIPPED = "#999999";
  static final String RUNNING = "#e0a800";

  /** Font size of every text in the chart, in pixels. */
  static final int FONT = 11;
  /** Where the plot starts vertically: below the time axis. */
  private static final int TOP = 40;
  /** Height of one lane of milestone labels, and of the legend line. */
  private static final int LANE = 14;
  /** Room kept between a text and the edge of the chart, or between two texts. */
  private static final int GAP = 4;

  /**
   * The timeline as an SVG element: a time axis, a row per kind of marker that occurs (run,
   * triggers, gates, health, notifications) and per step, a dashed line at each milestone with its
   * label, and a legend of the bar colours used. Forward steps and compensations (step paths ending
   * in {@code /revert} or {@code /undo}) have bars of different colours; a failed attempt is red
   * either way. Everything is laid out inside the view box: text widths are estimated from the
   * metrics of DejaVu Sans (the widest common sans-serif), milestone labels that would overlap are
   * put on lanes of their own, labels near the right edge end at their line instead of starting
   * there, and row labels too long for their column are shortened with an ellipsis (the full text
   * is their tooltip).
   */
  public static String svg(Timeline t) {
    List<TimelineEntry> entries = t.entries();
    Instant t0 = t.started().orElse(entries.isEmpty() ? Instant.EPOCH : entries.get(0).at());
    Instant t1 = t0;
    for (TimelineEntry e : entries) if (e.at().isAfter(t1)) t1 = e.at();
    long span = Math.max(1, Duration.between(t0, t1).toMillis());

    // rows: the kinds of markers that occur, then one row per step
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
    rows.values().removeIf(List::isEmpty);
    // one bar per attempt, coloured by how it ended; its title gives the step's duration, the figure every report shows
    Map<String, long[]> open = new LinkedHashMap<>();
    Map<String, List<String>> titles = new LinkedHashMap<>();
    Map<String, List<String>> fills = new LinkedHashMap<>();
    for (RunHistory.Entry en : t.history().entries()) {
      JournalEvent ev = en.event();
      String step = en.step();
      long x = Duration.between(t0, en.at()).toMillis();
      if (ev instanceof JournalEvent.StepStarted st) {
        open.put(step, new long[] {x, st.attempt()});
        bars.computeIfAbsent(step, k -> new ArrayList<>());
        continue;
      }
      String fill;
      String what;
      if (ev instanceof JournalEvent.StepSucceeded) {
        fill = isCompensation(step) ? COMPENSATION : FORWARD;
        what = "succeeded";
      } else if (ev instanceof JournalEvent.StepFailed f) {
        fill = FAILED;
        what = "failed: " + f.error();
      } else if (ev instanceof JournalEvent.StepCancelled c) {
        fill = FAILED;
        what = "cancelled: " + c.reason();
      } else if (ev instanceof JournalEvent.StepSkipped sk) {
        fill = SKIPPED;
        what = "skipped: " + sk.reason();
      } else {
        continue;
      }
      long[] o = open.remove(step);
      bars.computeIfAbsent(step, k -> new ArrayList<>()).add(new long[] {o == null ? x : o[0], x});
      String stepTook = t.stepDuration(step).map(d -> "; the step took " + ReportFormat.duration(d)).orElse("");
      titles.computeIfAbsent(step, k -> new ArrayList<>()).add(step + (o == null ? "" : ", attempt " + o[1]) + ": " + what
          + stepTook);
      fills.computeIfAbsent(step, k -> new ArrayList<>()).add(fill);
    }
    open.forEach((step, o) -> {
      bars.get(step).add(new long[] {o[0], span});
      titles.computeIfAbsent(step, k -> new ArrayList<>()).add(step + ", attempt " + o[1] + ": still running");
      fills.computeIfAbsent(step, k -> new ArrayList<>()).add(RUNNING);
    });
    bars.values().removeIf(List::isEmpty);
    List<String> labels = new ArrayList<>(rows.keySet());
    labels.addAll(bars.keySet());

    int plot = WIDTH - LABEL - 20;
    int rowsBottom = TOP + labels.size() * ROW;
    List<MilestoneLabel> milestones = layOutMilestones(t, t0, span, plot);
    int lanes = milestones.stream().mapToInt(m -> m.lane + 1).max().orElse(0);
    int legendY = rowsBottom + 8 + lanes * LANE + LANE;
    List<String> used = new ArrayList<>();
    for (String f : List.of(FORWARD, COMPENSATION, FAILED, SKIPPED, RUNNING)) {
      if (fills.values().stream().anyMatch(l -> l.contains(f))) used.add(f);
    }
    List<LegendItem> legend = legend(used, legendY);
    int legendLines = legend.isEmpty() ? 0 : legend.get(legend.size() - 1).line() + 1;
    int height = legendLines == 0 ? rowsBottom + 8 + lanes * LANE + 6 : legendY + (legendLines - 1) * LANE + 6;

    StringBuilder s = new StringBuilder();
    s.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(WIDTH).append("\" height=\"").append(height)
        .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(height).append("\" role=\"img\" aria-label=\"")
        .append(esc("Timeline of run " + t.runId())).append("\">\n");
    s.append("<style>text{font:").append(FONT).append("px sans-serif}</style>\n");
    // the time axis: the first tick starts at the plot's left edge, the last ends at its right edge
    s.append(line(LABEL, 30, LABEL + plot, 30, "#999", false));
    for (int i = 0; i <= 4; i++) {
      int x = LABEL + plot * i / 4;
      String anchor = i == 0 ? "start" : i == 4 ? "end" : "middle";
      s.append("<text x=\"").append(x).append("\" y=\"22\" text-anchor=\"").append(anchor).append("\">+")
          .append(esc(PostMortem.duration(Duration.ofMillis(span * i / 4)))).append("</text>\n");
    }
    int y = TOP;
    for (String label : labels) {
      String shown = fit(label, LABEL - 8 - GAP);
      s.append("<text x=\"").append(LABEL - 8).append("\" y=\"").append(y + 14).append("\" text-anchor=\"end\">");
      if (!shown.equals(label)) s.append("<title>").append(esc(label)).append("</title>");
      s.append(esc(shown)).append("</text>\n");
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
          s.append("<rect x=\"").append(x0).append("\" y=\"").append(y + 4).append("\" width=\"").append(x1 - x0)
              .append("\" height=\"12\" fill=\"").append(fills.get(label).get(i)).append("\"><title>")
              .append(esc(titles.get(label).get(i))).append("</title></rect>\n");
        }
      }
      y += ROW;
    }
    for (MilestoneLabel m : milestones) {
      int baseline = rowsBottom + 8 + (m.lane + 1) * LANE - 3;
      s.append(line(m.x, 32, m.x, baseline - FONT + 1, "#555", true));
      s.append("<text x=\"").append(m.end ? m.x - 3 : (int) Math.round(m.left)).append("\" y=\"").append(baseline).append('"')
          .append(m.end ? " text-anchor=\"end\"" : "").append("><title>").append(esc(m.title)).append("</title>")
          .append(esc(m.text)).append("</text>\n");
    }
    for (LegendItem item : legend) {
      s.append("<path d=\"M").append(item.x()).append(' ').append(item.y() - 9).append("h10v10h-10z\" fill=\"")
          .append(item.colour()).append("\"/>\n<text x=\"").append(item.x() + 14).append("\" y=\"").append(item.y())
          .append("\">").append(esc(LEGEND.get(item.colour()))).append("</text>\n");
    }
    s.append("</svg>");
    return s.toString();
  }

  private static final Map<String, String> LEGEND = Map.of(
      FORWARD, "step or apply",
      COMPENSATION, "revert or undo",
      FAILED, "failed or cancelled attempt",
      SKIPPED, "skipped",
      RUNNING, "still running");

  /** A step path that compensates another step: a release change's revert, a rollback's undo. */
  static boolean isCompensation(String step) {
    return step.endsWith("/revert") || step.endsWith("/undo");
  }

  /** One entry of the legend: a swatch of {@code colour} at {@code x} on the text baseline {@code y}, on line {@code line}. */
  private record LegendItem(String colour, int x, int y, int line) {}

  /** The legend of {@code colours}, left to right from the plot's left edge, wrapping at the right edge. */
  private static List<LegendItem> legend(List<String> colours, int y) {
    List<LegendItem> items = new ArrayList<>();
    int x = LABEL;
    int line = 0;
    for (String c : colours) {
      int w = 14 + (int) Math.ceil(textWidth(LEGEND.get(c))) + 16;
      if (x + w > WIDTH - GAP && x > LABEL) {
        x = LABEL;
        line++;
      }
      items.add(new LegendItem(c, x, y + line * LANE, line));
      x += w;
    }
    return items;
  }

  /** A milestone's line and label as laid out: the label starts right of the line, or ends left of it ({@code end}). */
  private record MilestoneLabel(String text, String title, int x, int lane, boolean end, double left, double right) {}

  /**
   * Puts each milestone's label on the first lane (top first) where it overlaps no other label,
   * its line crosses no label of a lane above it, and no deeper line crosses it; starting right of
   * its line where it fits inside the chart, else ending left of it.
   */
  private static List<MilestoneLabel> layOutMilestones(Timeline t, Instant t0, long span, int plot) {
    List<MilestoneLabel> placed = new ArrayList<>();
    List<Milestone> present = new ArrayList<>();
    for (Milestone m : Milestone.values()) if (t.milestone(m).isPresent()) present.add(m);
    present.sort(java.util.Comparator.comparing(m -> t.milestone(m).orElseThrow()));
    for (Milestone m : present) {
      Instant at = t.milestone(m).orElseThrow();
      int x = LABEL + (int) (plot * Duration.between(t0, at).toMillis() / span);
      String text = m.name().toLowerCase(Locale.ROOT);
      String title = text + " at " + PostMortem.time(at) + " UTC, +" + PostMortem.duration(Duration.between(t0, at));
      double w = textWidth(text);
      MilestoneLabel chosen = null;
      for (int lane = 0; chosen == null; lane++) {
        for (boolean end : new boolean[] {false, true}) {
          double left = end ? x - 3 - w : x + 3;
          double right = left + w;
          boolean last = lane > present.size();
          if (left < GAP || right > WIDTH - GAP) {
            if (!last || end) continue;
            // wider than the room on either side of its line: start it at the edge (never happens with these names)
            left = Math.max(GAP, Math.min(left, WIDTH - GAP - w));
            right = left + w;
          }
          MilestoneLabel candidate = new MilestoneLabel(text, title, x, lane, end, left, right);
          boolean free = last || placed.stream().allMatch(p -> compatible(p, candidate));
          if (free) {
            chosen = candidate;
            break;
          }
        }
      }
      placed.add(chosen);
    }
    return placed;
  }

  /** Two milestone labels that can be drawn together: no overlap on one lane, no line through the other's label. */
  private static boolean compatible(MilestoneLabel a, MilestoneLabel b) {
    if (a.lane == b.lane) return b.left >= a.right + GAP || b.right + GAP <= a.left;
    MilestoneLabel upper = a.lane < b.lane ? a : b;
    MilestoneLabel lower = upper == a ? b : a;
    // the lower label's line runs down through the upper lane
    return lower.x < upper.left - 2 || lower.x > upper.right + 2;
  }

  /** {@code text}, shortened with an ellipsis to fit {@code width} pixels. */
  static String fit(String text, double width) {
    if (textWidth(text) <= width) return text;
    String s = text;
    while (!s.isEmpty() && textWidth(s + "…") > width) s = s.substring(0, s.length() - 1);
    return s + "…";
  }

  /**
   * An upper bound of the width of {@code text} at the chart's font size: the advance widths of
   * DejaVu Sans (in em, the widest of the usual sans-serif fonts), 5 % more for fonts wider still.
   */
  static double textWidth(String text) {
    double em = 0;
    for (int i = 0; i < text.length(); i++) em += advance(text.charAt(i));
    return em * FONT * 1.05;
  }

  /** Advance widths of DejaVu Sans in em, for the printable ASCII characters from the space on. */
  private static final double[] ADVANCE = {
      0.318, 0.400, 0.460, 0.838, 0.636, 0.950, 0.780, 0.275, 0.390, 0.390, 0.500, 0.838, 0.318, 0.361, 0.318, 0.337,
      0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.636, 0.337, 0.337, 0.838, 0.838, 0.838, 0.531,
      1.000, 0.684, 0.686, 0.698, 0.770, 0.632, 0.575, 0.775, 0.752, 0.295, 0.295, 0.656, 0.557, 0.863, 0.748, 0.787,
      0.603, 0.787, 0.695, 0.635, 0.611, 0.732, 0.684, 0.989, 0.685, 0.611, 0.685, 0.390, 0.337, 0.390, 0.838, 0.500,
      0.500, 0.613, 0.635, 0.550, 0.635, 0.615, 0.352, 0.635, 0.634, 0.278, 0.278, 0.579, 0.278, 0.974, 0.634, 0.612,
      0.635, 0.635, 0.411, 0.521, 0.392, 0.634, 0.592, 0.818, 0.592, 0.592, 0.525, 0.636, 0.337, 0.636, 0.838
  };

  private static double advance(char c) {
    // outside ASCII (an ellipsis, letters with accents): as wide as the widest letter
    return c >= 32 && c < 32 + ADVANCE.length ? ADVANCE[c - 32] : 1.0;
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
