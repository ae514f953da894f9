package dev.rollback.flags;

/** A flag system refused a request (an HTTP status from the Unleash admin API, an I/O error). */
public final class FlagWriteException extends FlagException {
  private static final long serialVersionUID = 1L;
  private final int status;

  public FlagWriteException(String message, int status) {
    super(message);
    this.status = status;
  }

  public FlagWriteException(String message, Throwable cause) {
    super(message, cause);
    this.status = -1;
  }

  /** The HTTP status, or -1 when the request did not get an answer. */
  public int status() {
    return status;
  }
}
