package dev.rollback;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The outline of a plan or release (one line per element, everything that shapes a run) and its
 * SHA-256 fingerprint. The outline is journaled when a run starts, so a refused resume can show
 * the difference line by line.
 */
final class Outlines {
  private Outlines() {}

  static List<String> outline(RollbackPlan plan) {
    List<String> lines = new ArrayList<>();
    lines.add("plan " + plan.name() + " onFailure=" + plan.failurePolicy()
        + " budget=" + plan.budget().map(Object::toString).orElse("none")
        + " verifiedBy=" + plan.verifiedBy().stream().map(c -> c.name()).toList());
    // only when set, so the fingerprint of a plan without a soak is what it always was
    plan.soak().ifPresent(k -> lines.add("soak window=" + k.window() + " every=" + k.interval()));
    for (Stage s : plan.stages()) {
      lines.add("stage " + s.name() + (s.parallel() ? " parallel" : " sequential"));
      for (Step step : s.steps()) lines.add("  step " + s.name() + "/" + step.name() + " " + describe(step));
    }
    return List.copyOf(lines);
  }

  static List<String> outline(Release release) {
    List<String> lines = new ArrayList<>();
    lines.add("release " + release.name() + " deployment=" + release.deployment().id()
        + " onRevertFailure=" + release.revertFailurePolicy()
        + " triggers=" + release.triggers().stream().map(t -> t.name()).toList()
        + " verifiedBy=" + release.verifiedBy().stream().map(c -> c.name()).toList());
    release.soak().ifPresent(k -> lines.add("soak window=" + k.window() + " every=" + k.interval()));
    for (Release.Element e : release.elements()) {
      if (e instanceof Release.ChangeElement ce) {
        Change c = ce.change();
        lines.add("change " + c.name() + " knownGood=" + c.knownGoodCapture().isPresent()
            + c.notSafelyRevertibleBecause().map(w -> " notSafelyRevertible=" + w).orElse(""));
        lines.add("  apply " + describe(c.apply()));
        lines.add("  revert " + describe(c.revert()));
      } else if (e instanceof Release.HealthGate g) {
        lines.add(g.name() + " within=" + g.within() + " every=" + g.interval());
      } else if (e instanceof Release.Bake b) {
        lines.add(b.name() + " every=" + b.interval());
      }
    }
    return List.copyOf(lines);
  }

  private static String describe(Step step) {
    return "'" + step.describe() + "' timeout=" + step.timeout().map(Object::toString).orElse("none")
        + " retries=" + step.retry().maxRetries() + " idempotent=" + step.isIdempotent()
        + " undo=" + step.hasUndo() + " reconcile=" + step.reconciler().isPresent()
        + " mayTerminateHost=" + step.mayTerminateHost()
        + " approval=" + step.approval().map(g -> g.name() + "/" + g.timeout() + "/" + g.onTimeout()).orElse("none")
        + " verifiedBy=" + step.verifiedBy().stream().map(c -> c.name()).toList();
  }

  static String of(RollbackPlan plan) {
    return sha256(outline(plan));
  }

  static String of(Release release) {
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
}
