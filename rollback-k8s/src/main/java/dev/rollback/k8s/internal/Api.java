package dev.rollback.k8s.internal;

import dev.rollback.k8s.K8sApiException;
import dev.rollback.spi.Redactor;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;

/**
 * Runs one API call and turns a failure into a {@link K8sApiException} naming the call. This is
 * where the API server's text enters the module: every message, and every cause kept, has passed
 * the redactor of the client's credentials (bearer token, password, client key), so a server or
 * proxy that echoes the request's headers cannot put them into a journal, a report or a log.
 */
public final class Api {
  private Api() {}

  public static <T> T call(KubernetesClient client, String call, Callable<T> body) {
    try {
      return body.call();
    } catch (KubernetesClientException e) {
      throw translate(redactor(client), call, e);
    } catch (K8sApiException e) {
      throw e;
    } catch (Exception e) {
      Redactor r = redactor(client);
      throw new K8sApiException(call + " failed: " + r.describe(e), call, 0, r.scrub(e));
    }
  }

  public static void run(KubernetesClient client, String call, Runnable body) {
    call(client, call, () -> {
      body.run();
      return null;
    });
  }

  /** Hides what the client authenticates with: its bearer token, user and password, client key. */
  public static Redactor redactor(KubernetesClient client) {
    Config c;
    try {
      c = client.getConfiguration();
    } catch (RuntimeException e) {
      return Redactor.none();
    }
    if (c == null) return Redactor.none();
    Redactor r = Redactor.none();
    r = r.and(of(c.getOauthToken())).and(of(c.getAutoOAuthToken())).and(of(c.getClientKeyData()));
    if (c.getPassword() != null && !c.getPassword().isEmpty()) {
      r = r.and(Redactor.ofCredentials(c.getUsername() == null ? "" : c.getUsername(), c.getPassword()));
    }
    return r;
  }

  private static Redactor of(@Nullable String secret) {
    return secret == null || secret.isBlank() ? Redactor.none() : Redactor.of(secret);
  }

  static K8sApiException translate(Redactor redactor, String call, KubernetesClientException e) {
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
    return new K8sApiException(redactor.redact(call + " failed: " + what), call, code, redactor.scrub(e));
  }

  private static String reason(KubernetesClientException e) {
    if (e.getStatus() != null && e.getStatus().getMessage() != null) return " (" + e.getStatus().getMessage() + ")";
    return "";
  }
}
