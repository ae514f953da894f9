package dev.rollback.test;

import dev.rollback.journal.JournalRecord;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import dev.rollback.report.RunReport;
import dev.rollback.report.Timeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * Every text a run leaves behind, by name: each journal record, the report as JSON and Markdown,
 * the timeline as text and JSON, the post-mortem draft and its HTML page (with the SVG timeline),
 * and, when given, every file of a {@code FileJournal}'s directory as it is on disk. Scan them for
 * what must never be there:
 *
 * <pre>{@code
 * RunOutputs.of(journal.read(runId).records(), journalDir).forEach((where, text) ->
 *     assertThat(text).as(where).doesNotContain(token));
 * }</pre>
 */
public final class RunOutputs {
  private RunOutputs() {}

  /** The outputs built from {@code records}. */
  public static Map<String, String> of(List<JournalRecord> records) {
    Objects.requireNonNull(records, "records");
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < records.size(); i++) out.put("journal record " + i + " (" + records.get(i).type() + ")", records.get(i).toString());
    RunReport report = RunReport.of(records);
    out.put("RunReport JSON", report.toJson());
    out.put("RunReport Markdown", report.toMarkdown());
    Timeline timeline = Timeline.of(records);
    out.put("Timeline", timeline.toString());
    out.put("Timeline JSON", timeline.toJson());
    PostMortem pm = PostMortem.of(timeline);
    out.put("PostMortem Markdown", pm.toMarkdown());
    out.put("PostMortem HTML", HtmlReport.of(pm));
    return out;
  }

  /** The outputs built from {@code records}, plus each file under {@code journalDir} as text. */
  public static Map<String, String> of(List<JournalRecord> records, Path journalDir) {
    Map<String, String> out = of(records);
    try (Stream<Path> files = Files.walk(journalDir)) {
      for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
        out.put("journal file " + journalDir.relativize(f), new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the journal directory " + journalDir, e);
    }
    return out;
  }
}
