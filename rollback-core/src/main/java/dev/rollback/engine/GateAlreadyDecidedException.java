package dev.rollback.engine;

import dev.rollback.Decision;
import dev.rollback.RollbackException;
import java.time.Instant;

/** A gate was answered after it had already been decided; names who decided first and when. */
public final class GateAlreadyDecidedException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public GateAlreadyDecidedException(String gateId, Decision decision, String actor, Instant at) {
    super("gate " + gateId + " was already decided: " + decision + " by " + actor + " at " + at
        + "; the second answer was not applied");
  }
}
