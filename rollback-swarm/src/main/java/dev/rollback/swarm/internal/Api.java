package dev.rollback.swarm.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.rollback.swarm.SwarmApiException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * The Docker Engine API calls of this module, as JSON trees over docker-java's transport. Paths
 * carry no version prefix, so the daemon answers in its own current API version (no registry
 * lookups on service updates; works with daemons that dropped old versions). Every failure is a
 * {@link SwarmApiException} naming the call; a daemon that cannot be reached is status 0.
 */
public final class Api {
  public static final ObjectMapper JSON = new ObjectMapper();

  private final DockerHttpClient http;
  private final String host;
  private final AtomicLong calls = new AtomicLong();

  public Api(DockerHttpClient http, String host) {
    this.http = http;
    this.host = host;
  }

  /** Where the daemon is, for messages: {@code unix:///run/docker.sock}. */
  public String host() { return host; }

  /** How many requests this client sent (for benchmarks and tests). */
  public long calls() { return calls.get(); }

  public JsonNode get(String path) {
    return send("GET", path, null);
  }

  public JsonNode post(String path, @Nullable Object body) {
    return send("POST", path, body);
  }

  public JsonNode delete(String path) {
    return send("DELETE", path, null);
  }

  /** {@code ?filters=} for list calls: {@code {"label":{"k=v":true}}}. */
  public static String filters(Map<String, String> filters) {
    ObjectNode f = JSON.createObjectNode();
    filters.forEach((k, v) -> f.putObject(k).put(v, true));
    return "filters=" + URLEncoder.encode(f.toString(), StandardCharsets.UTF_8);
  }

  /** {@code ?filters=} with several values for one key (any of them matches). */
  public static String filters(String key, java.util.Collection<String> values) {
    ObjectNode f = JSON.createObjectNode();
    ObjectNode v = f.putObject(key);
    values.forEach(value -> v.put(value, true));
    return "filters=" + URLEncoder.encode(f.toString(), StandardCharsets.UTF_8);
  }

  public static String encode(String pathSegment) {
    return URLEncoder.encode(pathSegment, StandardCharsets.UTF_8).replace("+", "%20");
  }

  private JsonNode send(String method, String path, @Nullable Object body) {
    String call = method + " " + path;
    DockerHttpClient.Request.Builder req = DockerHttpClient.Request.builder().method(method).path(path);
    if (body != null) {
      try {
        req.bodyBytes(JSON.writeValueAsBytes(body)).putHeader("Content-Type", "application/json");
      } catch (JsonProcessingException e) {
        throw new IllegalArgumentException("cannot encode the body of " + call + ": " + e.getMessage(), e);
      }
    }
    calls.incrementAndGet();
    DockerHttpClient.Response r;
    try {
      r = http.execute(req.build());
    } catch (RuntimeException e) {
      throw new SwarmApiException(call + " failed: cannot reach the Docker daemon at " + host + ": " + rootMessage(e),
          call, 0, e);
    }
    try (r; InputStream in = r.getBody()) {
      byte[] bytes = in == null ? new byte[0] : in.readAllBytes();
      int status = r.getStatusCode();
      if (status / 100 != 2) {
        throw new SwarmApiException(call + " failed: " + status + " " + daemonMessage(bytes), call, status);
      }
      if (bytes.length == 0) return JSON.nullNode();
      String type = String.valueOf(r.getHeader("Content-Type"));
      if (!type.contains("json")) return JSON.getNodeFactory().textNode(new String(bytes, StandardCharsets.UTF_8));
      return JSON.readTree(bytes);
    } catch (IOException e) {
      throw new SwarmApiException(call + " failed: the answer from " + host + " could not be read: " + rootMessage(e),
          call, 0, e);
    } catch (RuntimeException e) {
      if (e instanceof SwarmApiException) throw e;
      throw new SwarmApiException(call + " failed: the answer from " + host + " could not be read: " + rootMessage(e),
          call, 0, e);
    }
  }

  private static String daemonMessage(byte[] body) {
    String text = new String(body, StandardCharsets.UTF_8).trim();
    try {
      JsonNode n = JSON.readTree(body);
      if (n != null && n.hasNonNull("message")) return n.get("message").asText();
    } catch (IOException e) {
      // not JSON: the text itself
    }
    return text.isEmpty() ? "(no message)" : text;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
