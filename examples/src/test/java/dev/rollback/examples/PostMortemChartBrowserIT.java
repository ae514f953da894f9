package dev.rollback.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.journal.JournalRecord;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;

/**
 * The post-mortem's timeline chart as a browser draws it: {@code postmortem.html} opened in
 * headless Chromium, every text, bar, marker and line of the SVG measured there. No two texts
 * overlap, nothing lies outside the chart (the SVG clips at its view box), and forward steps and
 * compensations have bars of different colours. Each chart's page and screenshot are kept under
 * {@code target/browser/}.
 */
class PostMortemChartBrowserIT {
  /** Where the pages and screenshots are kept (the working directory of the tests is the module's). */
  static final Path KEPT = Path.of("target", "browser");

  /** Every drawn element of the chart with its box in the page, as the browser measured it. */
  private static final String MEASURE = """
      const svg = document.querySelector('svg');
      const own = n => [...n.childNodes].filter(c => c.nodeType === 3).map(c => c.textContent).join('');
      const box = e => { const r = e.getBoundingClientRect();
        return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
      return {
        svg: box(svg),
        items: [...svg.querySelectorAll('text, rect, circle, line, path')].map(e => Object.assign(box(e), {
          tag: e.tagName, text: e.tagName === 'text' ? own(e) : (e.querySelector('title') || {}).textContent || '',
          fill: e.getAttribute('fill') || ''}))
      };
      """;

  private static HeadlessChromium chromium;

  @BeforeAll
  static void startChromium() throws Exception {
    Files.createDirectories(KEPT);
    chromium = HeadlessChromium.start(1200, 2400);  // tall enough for the long chart in one screenshot
  }

  @AfterAll
  static void stopChromium() {
    if (chromium != null) chromium.close();
  }

  @Test
  void aShortRollbackWhoseMilestonesFallTogetherHasNoOverlappingOrClippedLabel() throws Exception {
    Chart chart = render("short-rollback", ChartRuns.shortRollback());

    chart.assertLaidOut();
    assertThat(chart.texts()).contains("detected", "mitigated", "resolved", "stop the bleeding/kill switch", "restore/traffic to blue")
        .doesNotContain("gates", "triggers", "acknowledged");
  }

  @Test
  void aLongRollbackWithManyStepsAndGatesHasNoOverlappingOrClippedLabel() throws Exception {
    Chart chart = render("long-rollback", ChartRuns.longRollback());

    chart.assertLaidOut();
    assertThat(chart.items("rect")).hasSize(36 + 6);  // one bar per attempt: six steps were retried once
    assertThat(chart.texts()).contains("gates", "triggers", "notifications", "health", "detected", "acknowledged", "mitigated",
        "resolved");
    // a path too long for the label column is shortened, in full in its tooltip
    assertThat(chart.texts()).anyMatch(t -> t.startsWith("workloads of the checkout") && t.endsWith("…"));
  }

  @Test
  void aRevertedReleaseDrawsAppliesAndRevertsInDifferentColours() throws Exception {
    Chart chart = render("reverted-release", ChartRuns.revertedRelease());

    chart.assertLaidOut();
    List<Map<String, Object>> bars = chart.items("rect");
    assertThat(bars).filteredOn(b -> title(b).matches("(flag|traffic)/apply, .*succeeded.*")).hasSize(2)
        .allMatch(b -> b.get("fill").equals("#3a9d5d"));
    assertThat(bars).filteredOn(b -> title(b).matches("(flag|traffic|image)/revert, .*succeeded.*")).hasSize(3)
        .allMatch(b -> b.get("fill").equals("#7e57c2"));
    assertThat(bars).filteredOn(b -> title(b).startsWith("image/apply, attempt 1: failed")).hasSize(1)
        .allMatch(b -> b.get("fill").equals("#c0392b"));
    assertThat(chart.texts()).contains("step or apply", "revert or undo", "failed or cancelled attempt");
  }

  @Test
  void theDrillsPostMortemHasNoOverlappingOrClippedLabel() throws Exception {
    Path out = Files.createTempDirectory("rollback-drill-chart");
    try {
      Drill.run(out, Drill.Mode.EMBEDDED, new java.io.PrintStream(java.io.OutputStream.nullOutputStream(), true,
          StandardCharsets.UTF_8));
      Chart chart = render("drill", Files.readString(out.resolve("postmortem.html")));

      chart.assertLaidOut();
      assertThat(chart.texts()).contains("detected", "mitigated", "resolved", "flag/kill switch new-checkout");
    } finally {
      RealServers.deleteTree(out);
    }
  }

  private static String title(Map<String, Object> item) {
    return String.valueOf(item.get("text"));
  }

  private Chart render(String name, List<JournalRecord> records) throws Exception {
    return render(name, HtmlReport.of(PostMortem.of(records)));
  }

  @SuppressWarnings("unchecked")
  private Chart render(String name, String html) throws Exception {
    Path page = KEPT.resolve(name + ".html").toAbsolutePath();
    Files.writeString(page, html, StandardCharsets.UTF_8);
    chromium.open(page);
    WebElement svg = chromium.driver().findElement(By.tagName("svg"));
    Files.write(KEPT.resolve(name + ".png"), svg.getScreenshotAs(OutputType.BYTES));
    Map<String, Object> measured = (Map<String, Object>) ((JavascriptExecutor) chromium.driver()).executeScript(MEASURE);
    return new Chart(name, (Map<String, Object>) measured.get("svg"), (List<Map<String, Object>>) measured.get("items"));
  }

  /** A chart as measured in the browser. */
  private record Chart(String name, Map<String, Object> svg, List<Map<String, Object>> items) {
    List<Map<String, Object>> items(String tag) {
      return items.stream().filter(i -> tag.equals(i.get("tag"))).toList();
    }

    List<String> texts() {
      return items("text").stream().map(i -> String.valueOf(i.get("text"))).toList();
    }

    void assertLaidOut() {
      List<String> clipped = new ArrayList<>();
      for (Map<String, Object> i : items) {
        if (n(i, "left") < n(svg, "left") - 0.5 || n(i, "right") > n(svg, "right") + 0.5
            || n(i, "top") < n(svg, "top") - 0.5 || n(i, "bottom") > n(svg, "bottom") + 0.5) {
          clipped.add(describe(i));
        }
      }
      assertThat(clipped).as("%s: elements outside the chart %s", name, box(svg)).isEmpty();

      List<Map<String, Object>> texts = items("text");
      List<String> overlaps = new ArrayList<>();
      for (int a = 0; a < texts.size(); a++) {
        for (int b = a + 1; b < texts.size(); b++) {
          Map<String, Object> x = texts.get(a);
          Map<String, Object> y = texts.get(b);
          double w = Math.min(n(x, "right"), n(y, "right")) - Math.max(n(x, "left"), n(y, "left"));
          double h = Math.min(n(x, "bottom"), n(y, "bottom")) - Math.max(n(x, "top"), n(y, "top"));
          if (w > 0.5 && h > 0.5) overlaps.add(describe(x) + " and " + describe(y));
        }
      }
      assertThat(overlaps).as("%s: labels whose boxes intersect", name).isEmpty();
      assertThat(texts).as("%s: texts in the chart", name).hasSizeGreaterThan(8);
    }

    private static double n(Map<String, Object> m, String key) {
      return ((Number) m.get(key)).doubleValue();
    }

    private static String box(Map<String, Object> m) {
      return String.format("[%.1f, %.1f - %.1f, %.1f]", n(m, "left"), n(m, "top"), n(m, "right"), n(m, "bottom"));
    }

    private static String describe(Map<String, Object> i) {
      return i.get("tag") + " '" + i.get("text") + "' " + box(i);
    }
  }
}
