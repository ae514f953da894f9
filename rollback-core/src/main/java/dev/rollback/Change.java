package dev.rollback;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One change of a {@link Release}: a forward step paired with the step that reverts it. A change
 * counts as applied once its apply starts, so {@link #revert()} must tolerate a partial apply.
 * The known-good state (if the change captures one) is taken when the release starts, journaled,
 * and visible to both steps through {@link StepContext#knownGood()}.
 */
public final class Change {
  private final String name;
  private final Step apply;
  private final Step revert;
  private final @Nullable SnapshotCapture knownGood;
  private final @Nullable String notRevertible;

  private Change(String name, Step apply, Step revert, @Nullable SnapshotCapture knownGood, @Nullable String notRevertible) {
    this.name = name;
    this.apply = apply;
    this.revert = revert;
    this.knownGood = knownGood;
    this.notRevertible = notRevertible;
  }

  /** A change called {@code name}: {@code apply} forward, {@code revert} back. */
  public static Change of(String name, StepAction apply, StepAction revert) {
    return new Change(requireName(name), Step.of("apply", apply).withDescription(name),
        Step.of("revert", revert).withDescription("revert " + name), null, null);
  }

  /** A change from two full steps (timeouts, retries, reconcilers). */
  public static Change of(String name, Step apply, Step revert) {
    Objects.requireNonNull(apply, "apply");
    Objects.requireNonNull(revert, "revert");
    return new Change(requireName(name), apply, revert, null, null);
  }

  /** Captures the known-good state at release start; both steps read it with {@link StepContext#knownGood()}. */
  public Change capturingKnownGood(SnapshotCapture capture) {
    return new Change(name, apply, revert, Objects.requireNonNull(capture, "capture"), notRevertible);
  }

  public Change withApply(Step apply) {
    return new Change(name, Objects.requireNonNull(apply, "apply"), revert, knownGood, notRevertible);
  }

  public Change withRevert(Step revert) {
    return new Change(name, apply, Objects.requireNonNull(revert, "revert"), knownGood, notRevertible);
  }

  /**
   * Declares that reverting this change once it was applied is worse than keeping it (a migration
   * without a data-preserving undo, a message already sent): when the release fails after this
   * change started, it <em>freezes</em> instead of reverting. Nothing is reverted (flags and traffic
   * stay where they are), the HUMAN_NEEDED audience is paged, and the run waits at a FREEZE gate:
   * PROCEED reverts every applied change anyway, HALT (also on timeout) keeps it frozen.
   * {@code why} is shown in the question and the reports (fluxcd/flagger#1186).
   */
  public Change notSafelyRevertible(String why) {
    Objects.requireNonNull(why, "why");
    if (why.isBlank()) throw new IllegalArgumentException("say why change '" + name + "' is not safely revertible");
    return new Change(name, apply, revert, knownGood, why);
  }

  /** Why reverting this change is worse than keeping it, if it declared so ({@link #notSafelyRevertible}). */
  public Optional<String> notSafelyRevertibleBecause() { return Optional.ofNullable(notRevertible); }

  public String name() { return name; }
  public Step apply() { return apply; }
  public Step revert() { return revert; }
  public Optional<SnapshotCapture> knownGoodCapture() { return Optional.ofNullable(knownGood); }

  @Override
  public String toString() {
    return "Change[" + name + "]";
  }

  private static String requireName(String name) {
    Objects.requireNonNull(name, "change name");
    if (name.isBlank()) throw new IllegalArgumentException("change name must not be blank");
    return name;
  }
}
