package dev.rollback;

import java.time.Duration;
import java.time.Instant;

/**
 * A rule over signals that decides whether a release is bad. Evaluated by a guard (or by a
 * release between its changes) on the engine's clock; returns HOLD, ROLL_BACK or ASK_HUMAN with
 * its evidence, which is journaled.
 */
public interface Trigger {

  String name();

  /** Evaluates the rule at {@code now}. Must not throw: missing or bad data is HOLD or ASK_HUMAN with the reason. */
  Evaluation evaluate(Instant now);

  /**
   * The longest time from the moment the release turns fully bad until this rule returns
   * ROLL_BACK, by the formula documented on the rule. Plan validation checks the budget with it.
   */
  Duration worstCaseDetection();

  /** Forget what was observed so far (e.g. when a guard is re-armed for a new deployment). */
  default void reset() {}
}
