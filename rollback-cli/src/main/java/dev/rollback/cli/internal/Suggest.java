package dev.rollback.cli.internal;

import java.util.Collection;
import java.util.Locale;
import java.util.Optional;

/** The closest known name to a typo, by edit distance (case-insensitive), when it is close enough. */
public final class Suggest {
  private Suggest() {}

  public static Optional<String> closest(String typo, Collection<String> known) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    String t = typo.toLowerCase(Locale.ROOT);
    for (String k : known) {
      int d = distance(t, k.toLowerCase(Locale.ROOT));
      if (d < bestD) {
        bestD = d;
        best = k;
      }
    }
    if (best == null) return Optional.empty();
    int allowed = Math.max(2, Math.min(typo.length(), best.length()) / 3);
    boolean prefix = best.toLowerCase(Locale.ROOT).startsWith(t) || t.startsWith(best.toLowerCase(Locale.ROOT));
    return bestD <= allowed || (prefix && t.length() >= 3) ? Optional.of(best) : Optional.empty();
  }

  /** " did you mean 'x'?" or an empty string. */
  public static String didYouMean(String typo, Collection<String> known) {
    return closest(typo, known).map(s -> "; did you mean '" + s + "'?").orElse("");
  }

  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) prev[j] = j;
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
