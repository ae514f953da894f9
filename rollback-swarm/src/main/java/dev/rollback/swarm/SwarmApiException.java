package dev.rollback.swarm;

import dev.rollback.RollbackException;

/**
 * A Docker Engine API call that failed or was refused: names the call ({@code POST
 * /services/shop_web/update}), the HTTP status (0 when the daemon could not be reached) and the
 * daemon's own message.
 */
public final class SwarmApiException extends RollbackException {
  private static final long serialVersionUID = 1L;

  private final String call;
  private final int status;

  public SwarmApiException(String message, String call, int status) {
    super(message);
    this.call = call;
    this.status = status;
  }

  public SwarmApiException(String message, String call, int status, Throwable cause) {
    super(message, cause);
    this.call = call;
    this.status = status;
  }

  /** The call, e.g. {@code GET /services/shop_web}. */
  public String call() { return call; }

  /** The HTTP status the daemon answered, or 0 when it could not be reached. */
  public int status() { return status; }

  /** The daemon could not be reached (socket gone, daemon stopped). */
  public boolean isUnreachable() { return status == 0; }
}
