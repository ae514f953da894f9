package dev.rollback.internal.detect;

import dev.rollback.detect.LatencyHistogram;
import dev.rollback.detect.Observations;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * A sliding window over cumulative observations: keeps snapshots at least {@code resolution}
 * apart and returns the difference between now and the newest snapshot at or before
 * {@code now - length} (or the oldest, while the window is filling). The window covered is
 * therefore between {@code length} and {@code length + resolution} once full.
 */
public final class Window {
  /** What happened within the window. */
  public record Delta(long total, long failures, long unknown, LatencyHistogram latency, Duration span) {
    public long decided() {
      return total - unknown;
    }

    public double errorRatio() {
      return decided() == 0 ? 0 : failures / (double) decided();
    }
  }

  private final Duration length;
  private final Duration resolution;
  private final ArrayDeque<Observations> history = new ArrayDeque<>();

  public Window(Duration length) {
    this.length = length;
    this.resolution = resolutionOf(length);
  }

  /** One fiftieth of the window, at least one millisecond. */
  public static Duration resolutionOf(Duration length) {
    Duration r = length.dividedBy(50);
    return r.compareTo(Duration.ofMillis(1)) < 0 ? Duration.ofMillis(1) : r;
  }

  public Duration length() {
    return length;
  }

  public Duration resolution() {
    return resolution;
  }

  public Delta slide(Observations now) {
    Observations newest = history.peekLast();
    if (newest == null || !now.at().isBefore(newest.at().plus(resolution))) history.addLast(now);
    Instant cutoff = now.at().minus(length);
    while (history.size() >= 2) {
      Iterator<Observations> it = history.iterator();
      it.next();
      Observations second = it.next();
      if (!second.at().isAfter(cutoff)) history.pollFirst();
      else break;
    }
    Observations base = history.peekFirst();
    return new Delta(now.total() - base.total(), now.failures() - base.failures(), now.unknown() - base.unknown(),
        now.latency().minus(base.latency()), Duration.between(base.at(), now.at()));
  }

  public void clear() {
    history.clear();
  }
}
