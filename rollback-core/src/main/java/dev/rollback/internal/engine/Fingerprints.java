package dev.rollback.internal.engine;

import java.util.ArrayList;
import java.util.List;

/**
 * The outline of a plan or release (one line per element, everything that shapes a run) and its
 * SHA-256 fingerprint. The outline is journaled in PLAN_STARTED so a refused resume can show the
 * difference line by line.
 */
public final class Fingerprints {
  private Fingerprints() {}

  /** Line differences between two outlines, as "- old" / "+ new" lines. */
  public static List<String> diff(List<String> before, List<String> after) {
    List<String> out = new ArrayList<>();
    int n = before.size(), m = after.size();
    int[][] lcs = new int[n + 1][m + 1];
    for (int i = n - 1; i >= 0; i--) {
      for (int j = m - 1; j >= 0; j--) {
        lcs[i][j] = before.get(i).equals(after.get(j)) ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    int i = 0, j = 0;
    while (i < n && j < m) {
      if (before.get(i).equals(after.get(j))) { i++; j++; }
      else if (lcs[i + 1][j] >= lcs[i][j + 1]) out.add("- " + before.get(i++));
      else out.add("+ " + after.get(j++));
    }
    while (i < n) out.add("- " + before.get(i++));
    while (j < m) out.add("+ " + after.get(j++));
    return out;
  }
}
