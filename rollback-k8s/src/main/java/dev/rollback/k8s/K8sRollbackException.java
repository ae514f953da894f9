package dev.rollback.k8s;

import dev.rollback.RollbackException;

/**
 * A rollback that was refused or is impossible as asked: a paused Deployment, no previous
 * revision, a revision that is not in the history. The message says what to do about it.
 */
public final class K8sRollbackException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public K8sRollbackException(String message) {
    super(message);
  }
}
