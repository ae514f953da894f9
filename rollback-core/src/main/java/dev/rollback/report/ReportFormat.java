package dev.rollback.report;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * How every report writes a time and a duration, so the run report, the timeline, the
 * post-mortem, the HTML page and a console listener print the same figure for the same step.
 */
public final class ReportFormat {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).withZone(ZoneOffset.UTC);

  private ReportFormat() {}

  /** {@code 2026-12-07 07:20:31.042}: UTC, to the millisecond. */
  public static String time(Instant at) {
    return TIME.format(at);
  }

  /** {@code 9 ms}, {@code 1.5 s}, {@code 4 min 30 s}, {@code 1 h 2 min}: truncated to the millisecond. */
  public static String duration(Duration d) {
    long ms = d.toMillis();
    if (ms < 1000) return ms + " ms";
    if (ms < 60_000) return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    long s = d.toSeconds();
    return s / 3600 > 0 ? (s / 3600) + " h " + (s % 3600) / 60 + " min" : (s / 60) + " min " + (s % 60) + " s";
  }
}
