package dev.rollback.notify.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.spi.Redactor;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Posts JSON for the channels. Errors never carry the URL (it is often the secret itself): they
 * name the channel, the status and the service's own error string. This is where a reply enters
 * the library: every {@link Response} body has passed the channel's {@link Redactor}, so a server
 * that echoes the request path, headers or body cannot put a secret into a failure, a journal
 * record or a log line.
 */
public final class Http {
  public static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(5))
      .followRedirects(HttpClient.Redirect.NEVER)
      .build();

  private Http() {}

  /** What the service answered; {@code body} is already redacted. */
  public record Response(int status, String body, Optional<String> retryAfter) {}

  public static ObjectNode object() {
    return JSON.createObjectNode();
  }

  public static String write(Object node) {
    try {
      return JSON.writeValueAsString(node);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON: " + e.getOriginalMessage(), e);
    }
  }

  /**
   * POSTs {@code body}; the reply passes {@code redactor}; an I/O failure is a retryable
   * {@link DeliveryFailure} naming {@code channel} only.
   */
  public static Response post(String channel, URI uri, String body, Map<String, String> headers, Duration timeout,
      Redactor redactor) throws DeliveryFailure, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("Content-Type", "application/json")
        .header("User-Agent", "rollback-notify")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return send(channel, b.build(), 500, redactor);
  }

  /**
   * GETs {@code uri}; the reply passes {@code redactor}; an I/O failure is a retryable
   * {@link DeliveryFailure} naming {@code channel} only.
   */
  public static Response get(String channel, URI uri, Map<String, String> headers, Duration timeout, Redactor redactor)
      throws DeliveryFailure, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .timeout(timeout)
        .header("User-Agent", "rollback-notify")
        .GET();
    headers.forEach(b::header);
    return send(channel, b.build(), 64 * 1024, redactor);
  }

  private static Response send(String channel, HttpRequest request, int maxBody, Redactor redactor)
      throws DeliveryFailure, InterruptedException {
    try {
      HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
      // redact the whole body before cutting it, so a cut cannot split a secret into unmatched halves
      String text = redactor.redact(r.body());
      if (text.length() > maxBody) text = text.substring(0, maxBody) + "...";
      return new Response(r.statusCode(), text, r.headers().firstValue("Retry-After"));
    } catch (IOException e) {
      // the exception's message can hold the URI; say only what kind of failure it was
      throw DeliveryFailure.retryable(channel + ": request failed: " + e.getClass().getSimpleName());
    }
  }

  /** Seconds from a Retry-After header (delta-seconds form); {@code fallback} when absent or not a number. */
  public static Duration retryAfter(Response r, Duration fallback) {
    return r.retryAfter().flatMap(v -> {
      try {
        return Optional.of(Duration.ofSeconds(Long.parseLong(v.trim())));
      } catch (NumberFormatException e) {
        return Optional.empty();
      }
    }).orElse(fallback);
  }

  /** Status-code rules shared by the channels: 2xx ok, 429 waits, 408 and 5xx retry, other 4xx are final. */
  public static void check(String channel, Response r, List<Integer> ok) throws DeliveryFailure {
    if (ok.contains(r.status())) return;
    String what = channel + ": HTTP " + r.status() + (r.body().isBlank() ? "" : " " + r.body().strip());
    if (r.status() == 429) throw DeliveryFailure.retryAfter(what, retryAfter(r, Duration.ofSeconds(1)));
    if (r.status() == 408 || r.status() >= 500) throw DeliveryFailure.retryable(what);
    throw DeliveryFailure.permanent(what);
  }
}
