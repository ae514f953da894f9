package dev.rollback.journal;

import dev.rollback.RollbackException;

/** A journal could not be written or read. */
public class JournalException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public JournalException(String message) {
    super(message);
  }

  public JournalException(String message, Throwable cause) {
    super(message, cause);
  }
}
