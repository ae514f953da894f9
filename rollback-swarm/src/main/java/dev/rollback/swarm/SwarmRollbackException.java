package dev.rollback.swarm;

import dev.rollback.RollbackException;

/**
 * A Swarm rollback that was refused or did not converge: no previous spec, an unknown service or
 * stack, tasks that did not reach the target spec (the message lists them with their errors).
 */
public class SwarmRollbackException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public SwarmRollbackException(String message) {
    super(message);
  }

  public SwarmRollbackException(String message, Throwable cause) {
    super(message, cause);
  }
}
