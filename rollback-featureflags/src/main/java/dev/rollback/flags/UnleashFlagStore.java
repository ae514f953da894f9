package dev.rollback.flags;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flags in Unleash, written through its admin API (Unleash 6 and 7) in one project and
 * environment:
 *
 * <ul>
 *   <li>Kill switch: {@code POST …/features/{flag}/environments/{env}/off}, one request.
 *   <li>Percentage: the {@code rollout} parameter of the flag's {@code flexibleRollout} strategy
 *       ({@code PUT …/strategies/{id}}, or {@code POST} when there is none), then the environment on.
 *   <li>Restore: the environment's strategies exactly as captured (PUT by id, POST the missing,
 *       DELETE the added) and its on/off switch. When the target is off, the switch goes first;
 *       when a request fails part-way, {@link PartialWriteException} carries the state before the
 *       restore and the writes that landed.
 * </ul>
 *
 * <p>Clients see a write only after Unleash's own propagation (about 1–3 s) plus the SDK's poll
 * interval; pair steps with a {@link PropagationCheck}. Bucketing is {@link Bucketing#unleash()}
 * (stickiness {@code default} = userId, groupId = the flag name). The admin token never appears
 * in {@code toString}, logs or errors.
 */
public final class UnleashFlagStore implements FlagStore {
  private static final Logger log = LoggerFactory.getLogger(UnleashFlagStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String FLEXIBLE = "flexibleRollout";

  private final URI baseUrl;
  private final String adminToken;
  private final String project;
  private final String environment;
  private final Duration requestTimeout;
  private final HttpClient http;

  private UnleashFlagStore(Builder b) {
    this.baseUrl = b.baseUrl;
    this.adminToken = b.adminToken;
    this.project = b.project;
    this.environment = b.environment;
    this.requestTimeout = b.requestTimeout;
    this.http = b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(b.requestTimeout).build();
  }

  /** A store for the Unleash server at {@code baseUrl} (its root, e.g. {@code http://127.0.0.1:4242/}). */
  public static Builder builder(URI baseUrl, String adminToken) {
    return new Builder(baseUrl, adminToken);
  }

  @Override
  public String describe() {
    return "Unleash " + baseUrl + " project '" + project + "' environment '" + environment + "'";
  }

  @Override
  public FlagState read(String flag) {
    JsonNode feature = get(flag);
    JsonNode env = null;
    for (JsonNode e : feature.path("environments")) {
      if (environment.equals(e.path("name").asText())) env = e;
    }
    if (env == null) {
      throw new FlagException("flag '" + flag + "' in " + describe() + " has no environment '" + environment
          + "': enable the environment for project '" + project + "'");
    }
    boolean enabled = env.path("enabled").asBoolean(false);
    ArrayNode strategies = JSON.createArrayNode();
    for (JsonNode s : env.path("strategies")) strategies.add(strategyBody(s, true));
    ObjectNode def = JSON.createObjectNode();
    def.put("enabled", enabled);
    def.set("strategies", strategies);
    return new FlagState(flag, enabled, rolloutOf(strategies), def.toString());
  }

  @Override
  public void disable(String flag) {
    post(envPath(flag) + "/off", null, "kill switch");
    log.info("{}: flag '{}' turned off", describe(), flag);
  }

  @Override
  public void setRollout(String flag, Rollout rollout) {
    if (!(rollout instanceof Rollout.Percentage p)) {
      throw new IllegalArgumentException("Unleash flexibleRollout takes a percentage, not " + rollout.encode()
          + " (flag '" + flag + "' in " + describe() + ")");
    }
    FlagState before = read(flag);
    JsonNode strategies = tree(before.definition()).path("strategies");
    JsonNode flexible = null;
    for (JsonNode s : strategies) {
      if (s.path("disabled").asBoolean(false)) continue;
      if (!FLEXIBLE.equals(s.path("name").asText())) {
        throw new FlagException("flag '" + flag + "' in " + describe() + " has a '" + s.path("name").asText()
            + "' strategy besides flexibleRollout, so a percentage cannot say who gets it; "
            + "remove it or restore a captured state instead");
      }
      if (flexible != null) {
        throw new FlagException("flag '" + flag + "' in " + describe() + " has more than one flexibleRollout strategy; "
            + "a single percentage cannot describe it");
      }
      flexible = s;
    }
    List<String> applied = new ArrayList<>();
    try {
      if (flexible == null) {
        ObjectNode body = JSON.createObjectNode();
        body.put("name", FLEXIBLE);
        body.set("constraints", JSON.createArrayNode());
        ObjectNode params = body.putObject("parameters");
        params.put("rollout", Integer.toString(p.percent()));
        params.put("stickiness", "default");
        params.put("groupId", flag);
        post(envPath(flag) + "/strategies", body, "add flexibleRollout " + p.percent() + "%");
        applied.add("added flexibleRollout " + p.percent() + "%");
      } else {
        ObjectNode body = strategyBody(flexible, false);
        ((ObjectNode) body.get("parameters")).put("rollout", Integer.toString(p.percent()));
        put(envPath(flag) + "/strategies/" + enc(flexible.path("id").asText()), body, "rollout " + p.percent() + "%");
        applied.add("flexibleRollout set to " + p.percent() + "%");
      }
      if (!before.enabled()) {
        post(envPath(flag) + "/on", null, "turn on");
        applied.add("environment '" + environment + "' on");
      }
    } catch (FlagException e) {
      throw applied.isEmpty() ? e : new PartialWriteException(describe(), before, applied, e);
    }
    log.info("{}: flag '{}' on at {}%", describe(), flag, p.percent());
  }

  @Override
  public void restore(FlagState target) {
    Objects.requireNonNull(target, "state");
    String flag = target.flag();
    JsonNode def;
    try {
      def = JSON.readTree(target.definition());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("captured definition of flag '" + flag + "' is not JSON: " + e.getOriginalMessage(), e);
    }
    if (!def.path("strategies").isArray() || !def.has("enabled")) {
      throw new IllegalArgumentException("captured definition of flag '" + flag
          + "' is not an Unleash environment (was it captured from another store?)");
    }
    boolean enabled = def.path("enabled").asBoolean();
    FlagState before = read(flag);
    Map<String, JsonNode> current = byId(tree(before.definition()).path("strategies"));
    List<String> applied = new ArrayList<>();
    try {
      if (!enabled && before.enabled()) {
        post(envPath(flag) + "/off", null, "turn off");
        applied.add("environment '" + environment + "' off");
      }
      Map<String, JsonNode> wanted = byId(def.path("strategies"));
      for (Map.Entry<String, JsonNode> w : wanted.entrySet()) {
        JsonNode have = current.get(w.getKey());
        ObjectNode body = strategyBody(w.getValue(), false);
        if (have == null) {
          post(envPath(flag) + "/strategies", body, "re-add strategy " + w.getKey());
          applied.add("re-added strategy " + w.getValue().path("name").asText() + " (was " + w.getKey() + ")");
        } else if (!strategyBody(have, false).equals(body)) {
          put(envPath(flag) + "/strategies/" + enc(w.getKey()), body, "restore strategy " + w.getKey());
          applied.add("restored strategy " + w.getKey());
        }
      }
      for (String id : current.keySet()) {
        if (!wanted.containsKey(id)) {
          send("DELETE", envPath(flag) + "/strategies/" + enc(id), null, "remove strategy " + id);
          applied.add("removed strategy " + id);
        }
      }
      if (enabled && !before.enabled()) {
        post(envPath(flag) + "/on", null, "turn on");
        applied.add("environment '" + environment + "' on");
      }
    } catch (FlagException e) {
      throw applied.isEmpty() ? e : new PartialWriteException(describe(), before, applied, e);
    }
    log.info("{}: restored {} ({} writes)", describe(), target.describe(), applied.size());
  }

  /** Creates a flag of {@code type} ({@code release}, {@code kill-switch}, …); 409 if it exists. */
  public void create(String flag, String type) {
    ObjectNode body = JSON.createObjectNode();
    body.put("name", Objects.requireNonNull(flag, "flag"));
    body.put("type", Objects.requireNonNull(type, "type"));
    post("api/admin/projects/" + enc(project) + "/features", body, "create flag '" + flag + "'");
  }

  /** The flag's audit trail from {@code GET /api/admin/events/{flag}}: one line per event, newest first. */
  public List<String> events(String flag) {
    JsonNode events = send("GET", "api/admin/events/" + enc(flag), null, "read events of '" + flag + "'");
    List<String> out = new ArrayList<>();
    for (JsonNode e : events.path("events")) {
      out.add(e.path("createdAt").asText() + " " + e.path("type").asText() + " by " + e.path("createdBy").asText()
          + (e.hasNonNull("environment") ? " in " + e.path("environment").asText() : ""));
    }
    return out;
  }

  @Override
  public Bucketing bucketing() {
    return Bucketing.unleash();
  }

  // ---- helpers

  private static Rollout rolloutOf(ArrayNode strategies) {
    List<JsonNode> active = new ArrayList<>();
    for (JsonNode s : strategies) if (!s.path("disabled").asBoolean(false)) active.add(s);
    if (active.isEmpty()) return Rollout.all();
    if (active.size() == 1 && FLEXIBLE.equals(active.get(0).path("name").asText())
        && active.get(0).path("constraints").isEmpty() && active.get(0).path("segments").isEmpty()) {
      JsonNode params = active.get(0).path("parameters");
      String stickiness = params.path("stickiness").asText("default");
      try {
        int pct = Integer.parseInt(params.path("rollout").asText("100"));
        if (("default".equals(stickiness) || "userId".equals(stickiness)) && pct >= 0 && pct <= 100) return Rollout.percent(pct);
      } catch (NumberFormatException e) {
        return Rollout.Custom.INSTANCE;
      }
    }
    return Rollout.Custom.INSTANCE;
  }

  private static JsonNode tree(String json) {
    try {
      return JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("not JSON: " + e.getOriginalMessage(), e);
    }
  }

  private static Map<String, JsonNode> byId(JsonNode strategies) {
    Map<String, JsonNode> m = new LinkedHashMap<>();
    for (JsonNode s : strategies) m.put(s.path("id").asText(), s);
    return m;
  }

  /** The fields Unleash accepts when a strategy is written, with its id when {@code withId}. */
  private static ObjectNode strategyBody(JsonNode s, boolean withId) {
    ObjectNode b = JSON.createObjectNode();
    if (withId) b.put("id", s.path("id").asText());
    b.put("name", s.path("name").asText());
    if (s.hasNonNull("title")) b.put("title", s.path("title").asText());
    b.put("disabled", s.path("disabled").asBoolean(false));
    b.set("constraints", s.has("constraints") ? s.get("constraints").deepCopy() : JSON.createArrayNode());
    b.set("parameters", s.has("parameters") ? s.get("parameters").deepCopy() : JSON.createObjectNode());
    b.set("variants", s.has("variants") ? s.get("variants").deepCopy() : JSON.createArrayNode());
    b.set("segments", s.has("segments") ? s.get("segments").deepCopy() : JSON.createArrayNode());
    if (s.has("sortOrder")) b.put("sortOrder", s.path("sortOrder").asInt());
    return b;
  }

  private JsonNode get(String flag) {
    Objects.requireNonNull(flag, "flag");
    return send("GET", "api/admin/projects/" + enc(project) + "/features/" + enc(flag), null, "read flag '" + flag + "'");
  }

  private String envPath(String flag) {
    return "api/admin/projects/" + enc(project) + "/features/" + enc(flag) + "/environments/" + enc(environment);
  }

  private JsonNode post(String path, @Nullable JsonNode body, String what) {
    return send("POST", path, body, what);
  }

  private JsonNode put(String path, JsonNode body, String what) {
    return send("PUT", path, body, what);
  }

  private JsonNode send(String method, String path, @Nullable JsonNode body, String what) {
    URI uri = baseUrl.resolve(path);
    HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(requestTimeout)
        .header("Authorization", adminToken).header("Accept", "application/json");
    if (body != null) {
      rb.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    } else {
      rb.method(method, HttpRequest.BodyPublishers.noBody());
    }
    HttpResponse<String> resp;
    try {
      resp = http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new FlagWriteException(what + " failed: " + describe() + " did not answer " + method + " " + uri.getPath()
          + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlagWriteException(what + " interrupted: " + method + " " + uri.getPath(), e);
    }
    int status = resp.statusCode();
    if (status >= 200 && status < 300) {
      String text = resp.body();
      if (text == null || text.isBlank()) return JSON.createObjectNode();
      try {
        return JSON.readTree(text);
      } catch (JsonProcessingException e) {
        return JSON.createObjectNode();
      }
    }
    String message = unleashMessage(resp.body());
    String prefix = what + ": " + describe() + " answered " + status + " to " + method + " " + uri.getPath() + ": " + message;
    switch (status) {
      case 401, 403 -> throw new FlagWriteException(prefix + "; check that the admin token is valid and has admin scope for project '"
          + project + "'", status);
      case 404 -> {
        String flag = flagOf(path);
        if (flag != null && message.contains("no feature")) {
          throw new UnknownFlagException(describe(), flag, "");
        }
        throw new FlagWriteException(prefix, status);
      }
      case 409 -> throw new FlagWriteException(prefix + "; the flag or strategy changed or already exists: read it again and retry", status);
      default -> throw new FlagWriteException(prefix, status);
    }
  }

  private static @Nullable String flagOf(String path) {
    String marker = "/features/";
    int i = path.indexOf(marker);
    if (i < 0) return null;
    String rest = path.substring(i + marker.length());
    int slash = rest.indexOf('/');
    return java.net.URLDecoder.decode(slash < 0 ? rest : rest.substring(0, slash), StandardCharsets.UTF_8);
  }

  private static String unleashMessage(@Nullable String body) {
    if (body == null || body.isBlank()) return "(no body)";
    try {
      JsonNode n = JSON.readTree(body);
      if (n.hasNonNull("message")) return n.get("message").asText();
    } catch (JsonProcessingException e) {
      // not JSON: show the start of it
    }
    return body.length() > 300 ? body.substring(0, 300) + "…" : body;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public String toString() {
    return "UnleashFlagStore[" + baseUrl + ", project=" + project + ", environment=" + environment + ", token=***]";
  }

  /** Builds an {@link UnleashFlagStore}; project {@code default}, environment {@code development}. */
  public static final class Builder {
    private final URI baseUrl;
    private final String adminToken;
    private String project = "default";
    private String environment = "development";
    private Duration requestTimeout = Duration.ofSeconds(5);
    private @Nullable HttpClient http;

    private Builder(URI baseUrl, String adminToken) {
      Objects.requireNonNull(baseUrl, "baseUrl");
      String u = baseUrl.toString();
      this.baseUrl = URI.create(u.endsWith("/") ? u : u + "/");
      this.adminToken = Objects.requireNonNull(adminToken, "adminToken");
      if (adminToken.isBlank()) throw new IllegalArgumentException("adminToken must not be blank");
    }

    public Builder withProject(String project) {
      this.project = Objects.requireNonNull(project, "project");
      return this;
    }

    public Builder withEnvironment(String environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    public Builder withRequestTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
      this.requestTimeout = timeout;
      return this;
    }

    public Builder withHttpClient(HttpClient http) {
      this.http = Objects.requireNonNull(http, "http");
      return this;
    }

    public UnleashFlagStore build() {
      return new UnleashFlagStore(this);
    }
  }
}
