package dev.rollback.internal.detect;

import java.time.Duration;

/** A health check that knows the longest a single check can take (its connect plus read timeout). */
public interface TimedCheck {
  Duration timeout();
}
