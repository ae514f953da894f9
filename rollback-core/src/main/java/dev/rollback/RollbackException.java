package dev.rollback;

/** The root of every exception this library throws for an operational problem. */
public class RollbackException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public RollbackException(String message) {
    super(message);
  }

  public RollbackException(String message, Throwable cause) {
    super(message, cause);
  }
}
