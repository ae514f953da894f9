package dev.rollback.notify;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.rollback.Decision;
import dev.rollback.GateRequest;
import dev.rollback.RollbackException;
import dev.rollback.communication.Notification;
import dev.rollback.engine.GateAlreadyDecidedException;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.notify.internal.Http;
import dev.rollback.spi.Redactor;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP endpoint (the JDK's {@code HttpServer}) where humans answer gates. Loopback by
 * default; every request needs {@code Authorization: Bearer <token>}, compared in constant time.
 *
 * <ul>
 *   <li>{@code GET /gates}: the open gates as JSON (id, run, question, options, deadline, what
 *       happens on timeout).
 *   <li>{@code POST /gates/answer} with {@code {"gate": id, "decision": "PROCEED", "actor": "alice"}}:
 *       answers through {@link RollbackEngine#answer}, which journals the decision and the actor.
 *   <li>{@code POST /runs/{id}/acknowledge} with {@code {"actor": "alice"}}: acknowledges the run's
 *       page through {@link RollbackEngine#acknowledge} (source "http"): journaled, and its pages
 *       stop escalating.
 *   <li>{@code POST /pagerduty/webhook}, once {@link #acceptPagerDutyWebhooks} is called: PagerDuty
 *       V3 webhooks, authenticated by their signature instead of the bearer token.
 * </ul>
 * Answers: 200 done, 400 bad input (the message says what is wrong), 401 no or wrong token, 404
 * no such open gate or running run, 405 wrong method, 409 already decided (says by whom), 413 body
 * too large.
 */
public final class GateEndpoint implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GateEndpoint.class);
  private static final int MAX_BODY = 16 * 1024;

  private final HttpServer server;
  private final ExecutorService executor;
  private final RollbackEngine engine;
  private final Secret token;
  /** Hides the bearer token and, once accepted, the PagerDuty webhook secret in answers and log lines. */
  private volatile Redactor redactor;

  private GateEndpoint(HttpServer server, ExecutorService executor, RollbackEngine engine, Secret token) {
    this.server = server;
    this.executor = executor;
    this.engine = engine;
    this.token = token;
    this.redactor = token.redactor();
  }

  /** Starts on 127.0.0.1 on a free port. */
  public static GateEndpoint start(RollbackEngine engine, Secret token) throws IOException {
    return start(engine, token, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
  }

  /** Starts on {@code address}; anything but loopback exposes gate answers to the network, so put TLS in front. */
  public static GateEndpoint start(RollbackEngine engine, Secret token, InetSocketAddress address) throws IOException {
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(address, "address");
    HttpServer server = HttpServer.create(address, 16);
    ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "rollback-gate-endpoint");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    GateEndpoint endpoint = new GateEndpoint(server, executor, engine, token);
    server.createContext("/gates", endpoint::handle);
    server.createContext("/runs/", endpoint::handle);
    server.start();
    log.info("gate endpoint listening on {}", endpoint.uri());
    return endpoint;
  }

  public URI uri() {
    InetSocketAddress a = server.getAddress();
    return URI.create("http://" + a.getAddress().getHostAddress() + ":" + a.getPort());
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex) {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String presented = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).trim() : "";
      // always compare, so a missing header takes as long as a wrong one
      boolean ok = token.matches(presented);
      if (auth == null || !ok) {
        ex.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"rollback gates\"");
        reply(ex, 401, error("missing or wrong bearer token"));
        return;
      }
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      if (path.equals("/gates") || path.equals("/gates/")) {
        if (!method.equals("GET")) {
          reply(ex, 405, error("use GET /gates to list, POST /gates/answer to answer"));
          return;
        }
        reply(ex, 200, gates(engine.pendingGates()));
      } else if (path.equals("/gates/answer")) {
        if (!method.equals("POST")) {
          reply(ex, 405, error("answer with POST /gates/answer"));
          return;
        }
        answer(ex);
      } else if (path.startsWith("/runs/") && path.endsWith("/acknowledge")
          && path.length() > "/runs//acknowledge".length()) {
        if (!method.equals("POST")) {
          reply(ex, 405, error("acknowledge with POST /runs/<run id>/acknowledge"));
          return;
        }
        acknowledge(ex, path.substring("/runs/".length(), path.length() - "/acknowledge".length()));
      } else {
        reply(ex, 404, error("no such resource " + path
            + "; use GET /gates, POST /gates/answer or POST /runs/<run id>/acknowledge"));
      }
    } catch (RuntimeException e) {
      log.warn("gate endpoint failed on {} {}: {}", ex.getRequestMethod(), redactor.redact(ex.getRequestURI().getPath()),
          redactor.describe(e));
    }
  }

  /** The request body, at most {@link #MAX_BODY} bytes; null after replying 413. */
  private byte @org.jspecify.annotations.Nullable [] body(HttpExchange ex) throws IOException {
    byte[] raw;
    try (InputStream in = ex.getRequestBody()) {
      raw = in.readNBytes(MAX_BODY + 1);
    }
    if (raw.length > MAX_BODY) {
      reply(ex, 413, error("body larger than " + MAX_BODY + " bytes"));
      return null;
    }
    return raw;
  }

  /** The body as a JSON object; null after replying 400 with {@code expected}. */
  private @org.jspecify.annotations.Nullable JsonNode object(HttpExchange ex, byte[] raw, String expected)
      throws IOException {
    JsonNode body;
    try {
      body = Http.JSON.readTree(new String(raw, StandardCharsets.UTF_8));
    } catch (IOException e) {
      reply(ex, 400, error("body is not JSON; send " + expected));
      return null;
    }
    if (body == null || !body.isObject()) {
      reply(ex, 400, error("body must be a JSON object: " + expected));
      return null;
    }
    return body;
  }

  private void acknowledge(HttpExchange ex, String runId) throws IOException {
    byte[] raw = body(ex);
    if (raw == null) return;
    JsonNode body = object(ex, raw, "{\"actor\": \"<name>\"}");
    if (body == null) return;
    String actor = text(body, "actor");
    if (actor.isEmpty()) {
      reply(ex, 400, error("actor is required: who acknowledges run " + runId + "?"));
      return;
    }
    try {
      engine.acknowledge(runId, actor, "http");
    } catch (RollbackException e) {
      reply(ex, 404, error(e.getMessage()));
      return;
    }
    log.info("run {} acknowledged by {} over HTTP", redactor.redact(runId), redactor.redact(actor));
    reply(ex, 200, Http.object().put("run", runId).put("acknowledgedBy", actor));
  }

  /**
   * Also accepts PagerDuty V3 webhooks at {@code POST /pagerduty/webhook}: each request must carry
   * {@code X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the body with signingSecret>} (several
   * comma-separated signatures are allowed while PagerDuty rotates the secret; one must match,
   * compared in constant time), else 401. An {@code incident.acknowledged} or
   * {@code incident.resolved} event for a run's incident key acknowledges that run (source
   * "pagerduty webhook", actor the event's agent); other events and unknown keys get 202 and are
   * ignored. Returns this endpoint.
   */
  public GateEndpoint acceptPagerDutyWebhooks(Secret signingSecret) {
    Objects.requireNonNull(signingSecret, "signingSecret");
    redactor = redactor.and(signingSecret.redactor());
    server.createContext("/pagerduty/webhook", ex -> pagerDuty(ex, signingSecret));
    log.info("gate endpoint accepts PagerDuty webhooks at {}/pagerduty/webhook", uri());
    return this;
  }

  private void pagerDuty(HttpExchange exchange, Secret secret) throws IOException {
    try (HttpExchange ex = exchange) {
      if (!ex.getRequestMethod().equals("POST")) {
        reply(ex, 405, error("PagerDuty webhooks are POSTed"));
        return;
      }
      byte[] raw = body(ex);
      if (raw == null) return;
      if (!PagerDutyWebhook.verify(secret, raw, ex.getRequestHeaders().getFirst("X-PagerDuty-Signature"))) {
        reply(ex, 401, error("missing or wrong X-PagerDuty-Signature"));
        return;
      }
      JsonNode body = object(ex, raw, "a PagerDuty V3 webhook ({\"event\": {...}})");
      if (body == null) return;
      PagerDutyWebhook.Event event = PagerDutyWebhook.Event.of(body);
      if (!event.acknowledges()) {
        reply(ex, 202, Http.object().put("ignored", "event type " + event.type() + " does not acknowledge a run"));
        return;
      }
      java.util.Optional<String> runId = dev.rollback.communication.Notification.runIdOf(event.incidentKey());
      if (runId.isEmpty()) {
        reply(ex, 202, Http.object().put("ignored", "incident key '" + event.incidentKey() + "' is not a rollback run's"));
        return;
      }
      try {
        engine.acknowledge(runId.get(), event.agent(), "pagerduty webhook");
      } catch (RollbackException e) {
        reply(ex, 202, Http.object().put("ignored", e.getMessage()));
        return;
      }
      log.info("run {} acknowledged by {} in PagerDuty ({})", runId.get(), redactor.redact(event.agent()),
          redactor.redact(event.type()));
      reply(ex, 200, Http.object().put("run", runId.get()).put("acknowledgedBy", event.agent()));
    } catch (RuntimeException e) {
      log.warn("gate endpoint failed on a PagerDuty webhook: {}", redactor.describe(e));
    }
  }

  private void answer(HttpExchange ex) throws IOException {
    byte[] raw = body(ex);
    if (raw == null) return;
    JsonNode body = object(ex, raw, "{\"gate\": \"<id>\", \"decision\": \"PROCEED\", \"actor\": \"<name>\"}");
    if (body == null) return;
    String gate = text(body, "gate");
    String decisionText = text(body, "decision");
    String actor = text(body, "actor");
    if (gate.isEmpty() || decisionText.isEmpty() || actor.isEmpty()) {
      reply(ex, 400, error("gate, decision and actor are required (missing: "
          + (gate.isEmpty() ? "gate " : "") + (decisionText.isEmpty() ? "decision " : "") + (actor.isEmpty() ? "actor" : "").trim() + ")"));
      return;
    }
    Decision decision;
    try {
      decision = Decision.valueOf(decisionText.toUpperCase(java.util.Locale.ROOT));
    } catch (IllegalArgumentException e) {
      reply(ex, 400, error("decision must be one of " + List.of(Decision.values()) + ", not '" + decisionText + "'"));
      return;
    }
    try {
      engine.answer(gate, decision, actor);
    } catch (GateAlreadyDecidedException e) {
      reply(ex, 409, error(e.getMessage()));
      return;
    } catch (IllegalArgumentException e) {
      reply(ex, 400, error(e.getMessage()));
      return;
    } catch (RollbackException e) {
      reply(ex, 404, error(e.getMessage()));
      return;
    }
    log.info("gate {} answered {} by {} over HTTP", redactor.redact(gate), decision, redactor.redact(actor));
    ObjectNode ok = Http.object();
    ok.put("gate", gate).put("decision", decision.name()).put("actor", actor);
    reply(ex, 200, ok);
  }

  private static String text(JsonNode body, String field) {
    JsonNode n = body.get(field);
    return n == null || !n.isTextual() ? "" : n.asText().trim();
  }

  static ArrayNode gates(List<GateRequest> pending) {
    ArrayNode a = Http.JSON.createArrayNode();
    for (GateRequest g : pending) {
      ObjectNode o = a.addObject();
      o.put("id", g.id());
      o.put("run", g.runId());
      o.put("gate", g.gate());
      o.put("kind", g.kind().name());
      o.put("step", g.stepPath());
      o.put("question", g.question());
      ArrayNode opts = o.putArray("options");
      g.options().forEach(d -> opts.add(d.name()));
      o.put("openedAt", g.openedAt().toString());
      o.put("deadline", g.deadline().toString());
      o.put("onTimeout", g.onTimeout().name());
    }
    return a;
  }

  private static ObjectNode error(String message) {
    return Http.object().put("error", message);
  }

  /** The one way out of the endpoint: every answer passes the redactor of its token and webhook secret. */
  private void reply(HttpExchange ex, int status, JsonNode body) throws IOException {
    byte[] bytes = redactor.redact(Http.write(body)).getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "GateEndpoint[" + uri() + ", token=***]";
  }
}
