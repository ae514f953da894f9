package dev.rollback.test;

import dev.rollback.Change;
import dev.rollback.Release;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/** Assertions on the shape of a {@link Release}. */
public final class ReleaseAssert extends AbstractAssert<ReleaseAssert, Release> {

  ReleaseAssert(Release actual) {
    super(actual, ReleaseAssert.class);
  }

  /** Every change restores a known-good state captured at release start (not "whatever it is at rollback time"). */
  public ReleaseAssert everyChangeCapturesItsKnownGoodState() {
    isNotNull();
    List<String> missing = actual.changes().stream().filter(c -> c.knownGoodCapture().isEmpty()).map(Change::name).toList();
    if (!missing.isEmpty()) {
      failWithMessage("Expected every change of release '%s' to capture its known-good state, but these do not: %s", actual.name(), missing);
    }
    return this;
  }

  /** Every revert can run again safely after a crash: idempotent or reconcilable. */
  public ReleaseAssert everyRevertIsSafeToResume() {
    isNotNull();
    List<String> unsafe = actual.changes().stream()
        .filter(c -> !c.revert().isIdempotent() && c.revert().reconciler().isEmpty()).map(Change::name).toList();
    if (!unsafe.isEmpty()) {
      failWithMessage("Expected every revert of release '%s' to be idempotent or reconcilable, but these are neither: %s", actual.name(), unsafe);
    }
    return this;
  }

  public ReleaseAssert isWatchedByTriggers() {
    isNotNull();
    if (actual.triggers().isEmpty()) failWithMessage("Expected release '%s' to have at least one trigger", actual.name());
    return this;
  }
}
