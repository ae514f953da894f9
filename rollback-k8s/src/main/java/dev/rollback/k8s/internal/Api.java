package dev.rollback.k8s.internal;

import dev.rollback.k8s.K8sApiException;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.Callable;

/** Runs one API call and turns a failure into a {@link K8sApiException} naming the call. */
public final class Api {
  private Api() {}

  public static <T> T call(String call, Callable<T> body) {
    try {
      return body.call();
    } catch (KubernetesClientException e) {
      throw translate(call, e);
    } catch (K8sApiException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new K8sApiException(call + " failed: " + e, call, 0, e);
    } catch (Exception e) {
      throw new K8sApiException(call + " failed: " + e, call, 0, e);
    }
  }

  public static void run(String call, Runnable body) {
    call(call, () -> {
      body.run();
      return null;
    });
  }

  public static K8sApiException translate(String call, KubernetesClientException e) {
    int code = Math.max(0, e.getCode());
    String what;
    if (code == 0) {
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) root = root.getCause();
      what = "API server unreachable (" + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    } else if (code == 401) {
      what = "401 Unauthorized: the client's credentials were rejected";
    } else if (code == 403) {
      what = "403 Forbidden: the client's identity lacks RBAC permission for this call"
          + reason(e);
    } else if (code == 404) {
      what = "404 Not Found" + reason(e);
    } else if (code == 409) {
      what = "409 Conflict: the object changed meanwhile" + reason(e);
    } else if (code == 422) {
      what = "422 Invalid" + reason(e);
    } else {
      what = code + reason(e);
    }
    return new K8sApiException(call + " failed: " + what, call, code, e);
  }

  private static String reason(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) return " (" + e.getStatus().getMessage() + ")";
    return "";
  }
}
