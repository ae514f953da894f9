package dev.rollback.k8s;

import dev.rollback.RollbackException;

/**
 * A Kubernetes API call that failed or was refused: names the object, the call ({@code GET
 * apps/v1 namespaces/shop/deployments/checkout}) and the HTTP status (0 when the API server could
 * not be reached).
 */
public final class K8sApiException extends RollbackException {
  private static final long serialVersionUID = 1L;

  private final String call;
  private final int code;

  public K8sApiException(String message, String call, int code, Throwable cause) {
    super(message, cause);
    this.call = call;
    this.code = code;
  }

  public K8sApiException(String message, String call, int code) {
    super(message);
    this.call = call;
    this.code = code;
  }

  /** The API call, e.g. {@code PATCH apps/v1 namespaces/shop/deployments/checkout}. */
  public String call() { return call; }

  /** The HTTP status the API server answered, or 0 when it could not be reached. */
  public int code() { return code; }
}
