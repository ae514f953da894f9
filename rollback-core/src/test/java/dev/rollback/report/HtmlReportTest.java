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

  private static int count(String s, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(s);
    int n = 0;
    while (m.find()) n++;
    return n;
  }
}
