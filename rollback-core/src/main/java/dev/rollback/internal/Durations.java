package dev.rollback.internal;

import java.time.Duration;

/** Durations in words for messages: "4 min 30 s", "600 ms", "1 h 2 min". */
public final class Durations {
  private Durations() {}

  public static String human(Duration d) {
    if (d.isNegative()) return "-" + human(d.negated());
    if (d.compareTo(Duration.ofDays(3650)) > 0) return "unbounded";
    long ms = d.toMillis();
    if (ms < 1000) {
      if (ms == 0 && !d.isZero()) return (d.toNanos() / 1000) + " µs";
      return ms + " ms";
    }
    long h = d.toHours();
    long m = d.toMinutesPart();
    long s = d.toSecondsPart();
    long rest = d.toMillisPart();
    StringBuilder b = new StringBuilder();
    if (h > 0) b.append(h).append(" h");
    if (m > 0) b.append(b.length() > 0 ? " " : "").append(m).append(" min");
    if (s > 0 || rest > 0) {
      b.append(b.length() > 0 ? " " : "");
      if (rest > 0) b.append(s).append('.').append(String.format("%03d", rest).replaceAll("0+$", "")).append(" s");
      else b.append(s).append(" s");
    }
    return b.toString();
  }

  public static String pct(double ratio) {
    double p = ratio * 100;
    if (p == Math.rint(p)) return String.format("%.0f%%", p);
    return String.format("%.2f%%", p).replaceAll("0+%$", "%");
  }

  /** Two decimals without String.format (cheap enough for every evaluation). */
  public static String fixed2(double v) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return String.valueOf(v);
    long c = Math.round(v * 100);
    String sign = c < 0 ? "-" : "";
    c = Math.abs(c);
    long frac = c % 100;
    return sign + (c / 100) + "." + (frac < 10 ? "0" : "") + frac;
  }
}
