package dev.rollback.report;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class HtmlReportTest {

  @Test
  void isOneSelfContainedPageWithAnSvgTimeline() {
    String html = HtmlReport.of(PostMortem.of(IncidentJournals.recoveredWithAHuman()));

    assertThat(html).startsWith("<!DOCTYPE html>").endsWith("</html>\n");
    assertThat(html).contains("<svg xmlns=\"http://www.w3.org/2000/svg\"").contains("</svg>");
    assertThat(html).doesNotContain("<script").doesNotContain("src=\"http").doesNotContain("href=\"http")
        .doesNotContain("<link");
    assertThat(html).contains("<h2>Summary</h2>").contains("<h2>Action Items</h2>").contains("<h2>Timeline</h2>");
    assertThat(html).doesNotContain("hunter2");
  }

  @Test
  void drawsABarPerStepAndALineAtEachMilestone() {
    String svg = HtmlReport.svg(Timeline.of(IncidentJournals.recoveredWithAHuman()));

    // kill switch once, migrate down twice (failed attempt, then the successful one)
    assertThat(count(svg, "<rect ")).isEqualTo(3);
    assertThat(svg).contains(">stop the bleeding/kill switch</text>").contains(">restore/migrate down</text>");
    assertThat(count(svg, "stroke-dasharray")).isEqualTo(4);
    assertThat(svg).contains(">detected</text>").contains(">acknowledged</text>").contains(">mitigated</text>")
        .contains(">resolved</text>");
    assertThat(svg).contains("fill=\"#c0392b\"").contains("fill=\"#3a9d5d\"");
  }

  @Test
  void placesEntriesProportionallyToTime() {
    String svg = HtmlReport.svg(Timeline.of(IncidentJournals.revertedRelease()));
    // the trigger fired at 32.000 s of a 34.100 s run: x = LABEL + plot * 32000 / 34100
    int plot = HtmlReport.WIDTH - HtmlReport.LABEL - 20;
    int expected = HtmlReport.LABEL + (int) (plot * 32_000L / 34_100L);
    assertThat(svg).contains("<circle cx=\"" + expected + "\"");
  }

  @Test
  void escapesEverythingItWasGiven() {
    List<dev.rollback.journal.JournalRecord> records = new IncidentJournals()
        .add(0, dev.rollback.journal.RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "<b>p</b>",
            "deployment", "s@1", "reason", "<script>alert('x')</script> & more")
        .add(5, dev.rollback.journal.RecordType.PLAN_COMPLETED, null, "outcome", "RECOVERED", "summary", "\"quoted\"")
        .records();

    String html = HtmlReport.of(PostMortem.of(records));

    assertThat(html).doesNotContain("<script>").doesNotContain("<b>p</b>")
        .contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more").contains("&quot;quoted&quot;");
  }

  @Test
  void leavesOutTheRowsOfMarkersThatNeverOccur() {
    String svg = HtmlReport.svg(Timeline.of(IncidentJournals.revertedRelease()));

    assertThat(svg).contains(">run</text>").contains(">triggers</text>")
        .doesNotContain(">gates</text>").doesNotContain(">health</text>").doesNotContain(">notifications</text>");
    assertThat(HtmlReport.svg(Timeline.of(IncidentJournals.recoveredWithAHuman()))).contains(">gates</text>");
  }

  @Test
  void drawsRevertsAndUndoesInAnotherColourThanForwardSteps() {
    String svg = HtmlReport.svg(Timeline.of(IncidentJournals.revertedRelease()));

    assertThat(bar(svg, "image/apply, attempt 1: succeeded")).contains("fill=\"" + HtmlReport.FORWARD + "\"");
    assertThat(bar(svg, "image/revert, attempt 1: succeeded")).contains("fill=\"" + HtmlReport.COMPENSATION + "\"");
    assertThat(HtmlReport.FORWARD).isNotEqualTo(HtmlReport.COMPENSATION);
    assertThat(HtmlReport.isCompensation("restore/undo rollout")).isFalse();
    assertThat(HtmlReport.isCompensation("traffic/undo")).isTrue();
    assertThat(svg).contains(">step or apply</text>").contains(">revert or undo</text>");
  }

  @Test
  void putsMilestoneLabelsThatWouldOverlapOnLanesOfTheirOwnInsideTheChart() {
    // mitigated and resolved are 0.8 s apart at the end of a 186 s run: less than a label's width
    String svg = HtmlReport.svg(Timeline.of(IncidentJournals.recoveredWithAHuman()));
    int width = HtmlReport.WIDTH;
    int height = Integer.parseInt(attr(svg.substring(svg.indexOf("<svg")), "height"));

    List<double[]> boxes = new java.util.ArrayList<>();
    for (String label : List.of("detected", "acknowledged", "mitigated", "resolved")) {
      String text = element(svg, ">" + label + "</text>");
      double x = Double.parseDouble(attr(text, "x"));
      double y = Double.parseDouble(attr(text, "y"));
      double w = HtmlReport.textWidth(label);
      double left = text.contains("text-anchor=\"end\"") ? x - w : x;
      boxes.add(new double[] {left, y - HtmlReport.FONT, left + w, y + 3});
      assertThat(left).as(label).isGreaterThanOrEqualTo(0);
      assertThat(left + w).as(label).isLessThanOrEqualTo(width);
      assertThat(y + 3).as(label).isLessThanOrEqualTo(height);
    }
    for (int a = 0; a < boxes.size(); a++) {
      for (int b = a + 1; b < boxes.size(); b++) {
        double[] p = boxes.get(a);
        double[] q = boxes.get(b);
        boolean overlap = p[0] < q[2] && q[0] < p[2] && p[1] < q[3] && q[1] < p[3];
        assertThat(overlap).as("milestone labels %d and %d overlap", a, b).isFalse();
      }
    }
  }

  @Test
  void endsTheLastTickAtTheRightEdgeOfThePlot() {
    String svg = HtmlReport.svg(Timeline.of(IncidentJournals.recoveredWithAHuman()));

    String last = element(svg, ">+3 min 6 s</text>");
    assertThat(last).contains("text-anchor=\"end\"");
    assertThat(Integer.parseInt(attr(last, "x"))).isLessThanOrEqualTo(HtmlReport.WIDTH - 20);
  }

  @Test
  void shortensRowLabelsThatDoNotFitTheirColumn() {
    String longPath = "workloads of the checkout service in every region/restore the known-good revision";

    String shown = HtmlReport.fit(longPath, 200);

    assertThat(shown).endsWith("…").hasSizeLessThan(longPath.length());
    assertThat(HtmlReport.textWidth(shown)).isLessThanOrEqualTo(200);
    assertThat(HtmlReport.fit("restore/traffic", 200)).isEqualTo("restore/traffic");
  }

  /** The element whose text or title contains {@code what}, from its opening tag to {@code what}. */
  private static String element(String svg, String what) {
    int at = svg.indexOf(what);
    assertThat(at).as("svg contains %s", what).isNotNegative();
    int open = Math.max(svg.lastIndexOf("<text", at), svg.lastIndexOf("<rect", at));
    return svg.substring(open, at + what.length());
  }

  private static String bar(String svg, String title) {
    return element(svg, "<title>" + title);
  }

  private static String attr(String element, String name) {
    Matcher m = Pattern.compile(" " + name + "=\"([^\"]*)\"").matcher(element);
    assertThat(m.find()).as("%s in %s", name, element).isTrue();
    return m.group(1);
  }

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) n++;
    return n;
  }
}
