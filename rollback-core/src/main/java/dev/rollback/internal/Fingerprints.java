package dev.rollback.internal;

import dev.rollback.Change;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.Stage;
import dev.rollback.Step;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The outline of a plan or release (one line per element, everything that shapes a run) and its
 * SHA-256 fingerprint. The outline is journaled in PLAN_STARTED so a refused resume can show the
 * difference line by line.
 */
public final class Fingerprints {
  private Fingerprints() {}

  public static List<String> outline(RollbackPlan plan) {
    List<String> lines = new ArrayList<>();
    lines.add("plan " + plan.name() + " onFailure=" + plan.failurePolicy()
        + " budget=" + plan.budget().map(Object::toString).orElse("none")
        + " verifiedBy=" + plan.verifiedBy().stream().map(c -> c.name()).toList());
    for (Stage s : plan.stages()) {
      lines.add("stage " + s.name() + (s.parallel() ? " parallel" : " sequential"));
      for (Step step : s.steps()) lines.add("  step " + s.name() + "/" + step.name() + " " + describe(step));
    }
    return lines;
  }

  public static List<String> outline(Release release) {
    List<String> lines = new ArrayList<>();
    lines.add("release " + release.name() + " deployment=" + release.deployment().id()
        + " onRevertFailure=" + release.revertFailurePolicy()
        + " triggers=" + release.triggers().stream().map(t -> t.name()).toList()
        + " verifiedBy=" + release.verifiedBy().stream().map(c -> c.name()).toList());
    for (Release.Element e : release.elements()) {
      if (e instanceof Release.ChangeElement ce) {
        Change c = ce.change();
        lines.add("change " + c.name() + " knownGood=" + c.knownGoodCapture().isPresent());
        lines.add("  apply " + describe(c.apply()));
        lines.add("  revert " + describe(c.revert()));
      } else if (e instanceof Release.HealthGate g) {
        lines.add(g.name() + " within=" + g.within() + " every=" + g.interval());
      } else if (e instanceof Release.Bake b) {
        lines.add(b.name() + " every=" + b.interval());
      }
    }
    return lines;
  }

  private static String describe(Step step) {
    return "'" + step.describe() + "' timeout=" + step.timeout().map(Object::toString).orElse("none")
        + " retries=" + step.retry().maxRetries() + " idempotent=" + step.isIdempotent()
        + " undo=" + step.hasUndo() + " reconcile=" + step.reconciler().isPresent()
        + " mayTerminateHost=" + step.mayTerminateHost()
        + " approval=" + step.approval().map(g -> g.name() + "/" + g.timeout() + "/" + g.onTimeout()).orElse("none")
        + " verifiedBy=" + step.verifiedBy().stream().map(c -> c.name()).toList();
  }

  public static String of(RollbackPlan plan) {
    return sha256(outline(plan));
  }

  public static String of(Release release) {
    return sha256(outline(release));
  }

  static String sha256(List<String> lines) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String l : lines) {
        md.update(l.getBytes(StandardCharsets.UTF_8));
        md.update((byte) '\n');
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

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
