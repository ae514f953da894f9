package dev.rollback;

import java.util.List;

/** Why a run waits for a human, and which {@link Decision}s answer it. */
public enum GateKind {
  /** Approval before a risky step. */
  APPROVAL(List.of(Decision.PROCEED, Decision.HALT)),
  /** A step failed after its retries and the policy is HALT_AND_ASK. */
  STEP_FAILED(List.of(Decision.RETRY, Decision.SKIP, Decision.HALT)),
  /** A step's outcome is unknown (crash or timeout) and it is neither idempotent nor reconcilable. */
  IN_DOUBT(List.of(Decision.RETRY, Decision.SKIP, Decision.FAIL, Decision.HALT)),
  /** Abandon the rollback: undo what it did, which re-enables the bad release. */
  ABANDON(List.of(Decision.PROCEED, Decision.HALT)),
  /** A trigger was inconclusive (ASK_HUMAN): PROCEED rolls back, SKIP keeps the release. */
  ROLL_BACK(List.of(Decision.PROCEED, Decision.SKIP, Decision.HALT)),
  /**
   * A release failed, but a change it applied declared itself not safely revertible: the release
   * froze, nothing reverted. PROCEED reverts every applied change anyway; HALT keeps it frozen.
   */
  FREEZE(List.of(Decision.PROCEED, Decision.HALT));

  private final List<Decision> options;

  GateKind(List<Decision> options) {
    this.options = options;
  }

  public List<Decision> options() {
    return options;
  }
}
