package dev.rollback.jdbc.pitr;

import dev.rollback.RollbackException;

/**
 * Point-in-time recovery cannot go on: the server is not set up for it, a backup or restore point
 * is missing, a directory is in the way, a server would not start or stop. The message says what
 * and where, and what was left as it was.
 */
public class PitrException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public PitrException(String message) {
    super(message);
  }

  public PitrException(String message, Throwable cause) {
    super(message, cause);
  }
}
