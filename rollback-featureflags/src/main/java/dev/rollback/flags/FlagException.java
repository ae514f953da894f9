package dev.rollback.flags;

import dev.rollback.RollbackException;

/** A flag store could not read or write a flag; the message names the store and the flag. */
public class FlagException extends RollbackException {
  private static final long serialVersionUID = 1L;

  public FlagException(String message) {
    super(message);
  }

  public FlagException(String message, Throwable cause) {
    super(message, cause);
  }
}
