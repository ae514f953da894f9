package dev.rollback.flags;

import dev.rollback.StepLease;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.spi.Redactor;
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
 *   <li>Variant weights: the same strategy at 100% with <em>strategy variants</em> (Unleash
 *       weights are per mille: the relative weights are scaled to a total of 1000, so their sum
 *       must divide 1000). Variants the flag already has keep their payloads; one it does not know
 *       is refused. Feature environment variants are deprecated in Unleash 6 (it refuses to create
 *       them, 403) and are only ever restored.
 *   <li>Restore: the environment's strategies (with their variants) and its feature environment
 *       variants exactly as captured (PUT by id, POST the missing, DELETE the added; {@code PUT
 *       …/environments/{env}/variants}) and its on/off switch. When the target is off, the switch
 *       goes first; when a request fails part-way, {@link PartialWriteException} carries the state
 *       before the restore and the writes that landed.
 * </ul>
 *
 * <p>Unleash recomputes the weight of every {@code variable} variant on each write (1000 minus
 * the fixed ones, shared out, the remainder to the first ones <em>in the request</em>) and then
 * stores the variants sorted by name. Every write here therefore lists the variable variants with
 * the larger share first, so what Unleash stores is exactly what was captured or asked for.
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
  private static final String VARIABLE = "variable";
  private static final String ENV_VARIANTS = "variants";
  private static final int UNLEASH_TOTAL = 1000;
  private static final java.util.regex.Pattern URL_SAFE = java.util.regex.Pattern.compile("[A-Za-z0-9\\-_.!~*'()]+");

  private final URI baseUrl;
  private final String adminToken;
  private final String project;
  private final String environment;
  private final Duration requestTimeout;
  private final HttpClient http;
  /** Hides the admin token (and its secret part after the last '.') and the base URL's userinfo. */
  private final Redactor redactor;
  private final String shownUrl;

  private UnleashFlagStore(Builder b) {
    this.baseUrl = b.baseUrl;
    this.adminToken = b.adminToken;
    this.project = b.project;
    this.environment = b.environment;
    this.requestTimeout = b.requestTimeout;
    this.http = b.http != null ? b.http : HttpClient.newBuilder().connectTimeout(b.requestTimeout).build();
    Redactor r = Redactor.of(adminToken);
    int dot = adminToken.lastIndexOf('.');
    // an Unleash token is project:environment.secret; a server may echo the secret part alone
    if (dot >= 0 && adminToken.length() - dot - 1 >= 8) r = r.and(Redactor.of(adminToken.substring(dot + 1)));
    String userInfo = baseUrl.getRawUserInfo();
    if (userInfo != null) r = r.and(Redactor.of(userInfo));
    this.redactor = r;
    this.shownUrl = userInfo == null ? baseUrl.toString() : baseUrl.toString().replace(userInfo + "@", Redactor.MASK + "@");
  }

  /** A store for the Unleash server at {@code baseUrl} (its root, e.g. {@code http://127.0.0.1:4242/}). */
  public static Builder builder(URI baseUrl, String adminToken) {
    return new Builder(baseUrl, adminToken);
  }

  @Override
  public String describe() {
    return "Unleash " + shownUrl + " project '" + project + "' environment '" + environment + "'";
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
    JsonNode envVariants = send("GET", envPath(flag) + "/variants", null, "read variants of '" + flag + "'").path("variants");
    ObjectNode def = JSON.createObjectNode();
    def.put("enabled", enabled);
    def.set("strategies", strategies);
    def.set(ENV_VARIANTS, envVariants.isArray() ? envVariants.deepCopy() : JSON.createArrayNode());
    return new FlagState(flag, enabled, rolloutOf(flag, strategies, def.get(ENV_VARIANTS)), def.toString());
  }

  @Override
  public void disable(String flag) {
    disable(flag, StepLease.none());
  }

  /** Checks {@code lease} immediately before the request (Unleash has no conditional write to make it one). */
  @Override
  public void disable(String flag, StepLease lease) {
    post(envPath(flag) + "/off", null, "kill switch", lease);
    log.info("{}: flag '{}' turned off", describe(), flag);
  }

  /**
   * Percentage: the flexibleRollout's {@code rollout}, keeping its variants. Weights: the
   * flexibleRollout at 100% with strategy variants whose per-mille weights are {@code rollout}'s
   * scaled to 1000. Either way the environment is turned on last.
   *
   * @throws IllegalArgumentException naming the flag and the variant when a weight cannot be
   *     written exactly (names Unleash refuses, a sum that does not divide 1000, a variant the flag
   *     does not have) or the rollout is custom; nothing is written then
   */
  @Override
  public void setRollout(String flag, Rollout rollout) {
    setRollout(flag, rollout, StepLease.none());
  }

  /**
   * Checks {@code lease} immediately before each of its requests; a replica that lost it between
   * two sends nothing more (and gets a {@link dev.rollback.LeaseLostException}, not a
   * {@link PartialWriteException}: the replica holding the lease now owns the flag).
   */
  @Override
  public void setRollout(String flag, Rollout rollout, StepLease lease) {
    Objects.requireNonNull(rollout, "rollout");
    Objects.requireNonNull(lease, "lease");
    if (rollout instanceof Rollout.Custom) {
      throw new IllegalArgumentException("a custom rollout can only be restored, not set: flag '" + flag + "' in " + describe());
    }
    if (rollout instanceof Rollout.Weights w) perMille(flag, w); // validate before any request
    FlagState before = read(flag);
    JsonNode def = tree(before.definition());
    JsonNode flexible = singleFlexible(flag, def.path("strategies"), rollout);
    String what = rollout instanceof Rollout.Percentage p ? p.percent() + "%" : "weights " + rollout.encode();
    ObjectNode body;
    if (flexible == null) {
      body = JSON.createObjectNode();
      body.put("name", FLEXIBLE);
      body.set("constraints", JSON.createArrayNode());
      ObjectNode params = body.putObject("parameters");
      params.put("stickiness", "default");
      params.put("groupId", flag);
      body.set("variants", JSON.createArrayNode());
    } else {
      body = strategyBody(flexible, false);
    }
    ObjectNode params = (ObjectNode) body.get("parameters");
    if (rollout instanceof Rollout.Percentage p) {
      params.put("rollout", Integer.toString(p.percent()));
    } else {
      Rollout.Weights w = (Rollout.Weights) rollout;
      JsonNode known = flexible != null && !flexible.path("variants").isEmpty() ? flexible.path("variants") : def.path(ENV_VARIANTS);
      String group = params.path("groupId").asText(flag);
      if (!group.equals(flag)) {
        throw new FlagException("flag '" + flag + "' in " + describe() + " buckets on groupId '" + group
            + "', not the flag name; variant weights cannot be predicted there: restore a captured state instead");
      }
      params.put("rollout", "100");
      body.set("variants", variantsFor(flag, w, known));
    }
    List<String> applied = new ArrayList<>();
    try {
      if (flexible == null) {
        post(envPath(flag) + "/strategies", body, "add flexibleRollout " + what, lease);
        applied.add("added flexibleRollout " + what);
      } else {
        put(envPath(flag) + "/strategies/" + enc(flexible.path("id").asText()), body, "flexibleRollout " + what, lease);
        applied.add("flexibleRollout set to " + what);
      }
      if (!before.enabled()) {
        post(envPath(flag) + "/on", null, "turn on", lease);
        applied.add("environment '" + environment + "' on");
      }
    } catch (FlagException e) {
      throw applied.isEmpty() ? e : new PartialWriteException(describe(), before, applied, e);
    }
    log.info("{}: flag '{}' on at {}", describe(), flag, what);
  }

  /** The one active flexibleRollout strategy, null when there is none; refuses anything a rollout cannot describe. */
  private @Nullable JsonNode singleFlexible(String flag, JsonNode strategies, Rollout rollout) {
    JsonNode flexible = null;
    String kind = rollout instanceof Rollout.Percentage ? "a percentage" : "variant weights";
    for (JsonNode s : strategies) {
      if (s.path("disabled").asBoolean(false)) continue;
      if (!FLEXIBLE.equals(s.path("name").asText())) {
        throw new FlagException("flag '" + flag + "' in " + describe() + " has a '" + s.path("name").asText()
            + "' strategy besides flexibleRollout, so " + kind + " cannot say who gets it; "
            + "remove it or restore a captured state instead");
      }
      if (flexible != null) {
        throw new FlagException("flag '" + flag + "' in " + describe() + " has more than one flexibleRollout strategy; "
            + kind + " cannot describe it");
      }
      flexible = s;
    }
    return flexible;
  }

  /**
   * {@code w}'s weights in Unleash's per mille, in {@code w}'s order. Unleash takes variant names
   * that are URL-safe ({@code encodeURIComponent(name) == name}), 1 to 100 characters, and
   * integer weights 0..1000 that add up to exactly 1000.
   */
  static Map<String, Integer> perMille(String flag, Rollout.Weights w) {
    int total = w.total();
    if (UNLEASH_TOTAL % total != 0) {
      throw new IllegalArgumentException("variant weights " + w.encode() + " of flag '" + flag + "' add up to " + total
          + ", which does not divide 1000: Unleash weights are per mille, so these cannot be written exactly; "
          + "give weights that add up to 100 or 1000");
    }
    int factor = UNLEASH_TOTAL / total;
    Map<String, Integer> out = new LinkedHashMap<>();
    w.weights().forEach((name, weight) -> {
      if (name.length() > 100 || !URL_SAFE.matcher(name).matches() || name.equals(".") || name.equals("..")) {
        throw new IllegalArgumentException("variant '" + name + "' of flag '" + flag + "': Unleash takes variant names of "
            + "1 to 100 characters from A-Z a-z 0-9 - _ . ! ~ * ' ( )");
      }
      out.put(name, weight * factor);
    });
    return out;
  }

  /**
   * The strategy variants for {@code w}: payloads of the variants the flag has ({@code known})
   * kept, its variants {@code w} does not name kept at weight 0, and every variant {@code fix}
   * except the last one with a weight, which is {@code variable} (Unleash wants one) and gets
   * exactly the rest of 1000.
   */
  private ArrayNode variantsFor(String flag, Rollout.Weights w, JsonNode known) {
    Map<String, Integer> weights = perMille(flag, w);
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    for (JsonNode v : known) byName.put(v.path("name").asText(), v);
    if (!byName.isEmpty()) {
      for (String name : weights.keySet()) {
        if (!byName.containsKey(name)) {
          throw new IllegalArgumentException("flag '" + flag + "' in " + describe() + " has no variant '" + name
              + "' (variants: " + byName.keySet() + ")");
        }
      }
      for (String name : byName.keySet()) weights.putIfAbsent(name, 0);
    }
    String variable = null;
    for (Map.Entry<String, Integer> e : weights.entrySet()) if (e.getValue() > 0) variable = e.getKey();
    ArrayNode out = JSON.createArrayNode();
    for (Map.Entry<String, Integer> e : weights.entrySet()) {
      ObjectNode v = out.addObject();
      v.put("name", e.getKey());
      v.put("weight", e.getValue());
      v.put("weightType", e.getKey().equals(variable) ? VARIABLE : "fix");
      v.put("stickiness", "default");
      JsonNode had = byName.get(e.getKey());
      if (had != null && had.hasNonNull("payload")) v.set("payload", had.get("payload").deepCopy());
    }
    return out;
  }

  @Override
  public void restore(FlagState target) {
    restore(target, StepLease.none());
  }

  /** Checks {@code lease} immediately before each of its requests, as {@link #setRollout(String, Rollout, StepLease)}. */
  @Override
  public void restore(FlagState target, StepLease lease) {
    Objects.requireNonNull(target, "state");
    Objects.requireNonNull(lease, "lease");
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
        post(envPath(flag) + "/off", null, "turn off", lease);
        applied.add("environment '" + environment + "' off");
      }
      Map<String, JsonNode> wanted = byId(def.path("strategies"));
      for (Map.Entry<String, JsonNode> w : wanted.entrySet()) {
        JsonNode have = current.get(w.getKey());
        ObjectNode body = strategyBody(w.getValue(), false);
        if (have == null) {
          post(envPath(flag) + "/strategies", body, "re-add strategy " + w.getKey(), lease);
          applied.add("re-added strategy " + w.getValue().path("name").asText() + " (was " + w.getKey() + ")");
        } else if (!strategyBody(have, false).equals(body)) {
          put(envPath(flag) + "/strategies/" + enc(w.getKey()), body, "restore strategy " + w.getKey(), lease);
          applied.add("restored strategy " + w.getKey());
        }
      }
      for (String id : current.keySet()) {
        if (!wanted.containsKey(id)) {
          lease.check();
          send("DELETE", envPath(flag) + "/strategies/" + enc(id), null, "remove strategy " + id);
          applied.add("removed strategy " + id);
        }
      }
      // snapshots taken before variants were captured have no such key: their variants are left alone
      JsonNode wantedVariants = def.get(ENV_VARIANTS);
      if (wantedVariants != null && wantedVariants.isArray()
          && !wantedVariants.equals(tree(before.definition()).path(ENV_VARIANTS))) {
        put(envPath(flag) + "/variants", forWrite(wantedVariants), "restore feature environment variants", lease);
        applied.add("restored feature environment variants");
      }
      if (enabled && !before.enabled()) {
        post(envPath(flag) + "/on", null, "turn on", lease);
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

  /**
   * Compares the strategies (without their ids, which change when a restore has to re-add a
   * deleted strategy) and the feature environment variants.
   */
  @Override
  public boolean sameRule(String flag, String definition, String other) {
    if (definition.equals(other)) return true;
    try {
      return rule(JSON.readTree(definition)).equals(rule(JSON.readTree(other)));
    } catch (JsonProcessingException e) {
      return false;
    }
  }

  private static JsonNode rule(JsonNode def) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode strategies = n.putArray("strategies");
    for (JsonNode s : def.path("strategies")) strategies.add(strategyBody(s, false));
    n.set(ENV_VARIANTS, def.has(ENV_VARIANTS) ? def.get(ENV_VARIANTS).deepCopy() : JSON.createArrayNode());
    return n;
  }

  @Override
  public Bucketing bucketing() {
    return Bucketing.unleash();
  }

  // ---- helpers

  /**
   * What the SDK does with these strategies, when it can be predicted from a user id: one
   * flexibleRollout without constraints or segments, bucketing on the user id with the flag name
   * as groupId. At 100% with variants (the strategy's, else the feature environment's) it is
   * {@link Rollout.Weights} in Unleash's per mille and stored order; otherwise a percentage (its
   * variants, if any, only split the users who get the feature). Anything else is custom.
   */
  private static Rollout rolloutOf(String flag, ArrayNode strategies, JsonNode envVariants) {
    List<JsonNode> active = new ArrayList<>();
    for (JsonNode s : strategies) if (!s.path("disabled").asBoolean(false)) active.add(s);
    if (active.isEmpty()) return envVariants.isEmpty() ? Rollout.all() : weightsOf(envVariants);
    if (active.size() == 1 && FLEXIBLE.equals(active.get(0).path("name").asText())
        && active.get(0).path("constraints").isEmpty() && active.get(0).path("segments").isEmpty()) {
      JsonNode params = active.get(0).path("parameters");
      String stickiness = params.path("stickiness").asText("default");
      if (!sticksToUserId(stickiness) || !flag.equals(params.path("groupId").asText(flag))) return Rollout.Custom.INSTANCE;
      int pct;
      try {
        pct = Integer.parseInt(params.path("rollout").asText("100"));
      } catch (NumberFormatException e) {
        return Rollout.Custom.INSTANCE;
      }
      if (pct < 0 || pct > 100) return Rollout.Custom.INSTANCE;
      JsonNode variants = active.get(0).path("variants").isEmpty() ? envVariants : active.get(0).path("variants");
      if (pct < 100 || variants.isEmpty()) return Rollout.percent(pct);
      return weightsOf(variants);
    }
    return Rollout.Custom.INSTANCE;
  }

  private static Rollout weightsOf(JsonNode variants) {
    Map<String, Integer> w = new LinkedHashMap<>();
    for (JsonNode v : variants) {
      if (!sticksToUserId(v.path("stickiness").asText("default")) || !v.path("overrides").isEmpty()
          || !v.path("weight").canConvertToInt()) {
        return Rollout.Custom.INSTANCE;
      }
      w.put(v.path("name").asText(), v.path("weight").asInt());
    }
    try {
      return Rollout.weights(w);
    } catch (IllegalArgumentException e) {
      return Rollout.Custom.INSTANCE; // all 0, or a name the compact form cannot carry
    }
  }

  private static boolean sticksToUserId(String stickiness) {
    return "default".equals(stickiness) || "userId".equals(stickiness);
  }

  /**
   * {@code variants} ordered so that Unleash's weight fixing reproduces them: variable variants
   * with the larger weight first (they get the remainder), then the fixed ones. Unleash sorts by
   * name when it stores them, so the order sent is not what is stored.
   */
  private static ArrayNode forWrite(JsonNode variants) {
    List<JsonNode> variable = new ArrayList<>();
    List<JsonNode> fixed = new ArrayList<>();
    for (JsonNode v : variants) (VARIABLE.equals(v.path("weightType").asText(VARIABLE)) ? variable : fixed).add(v.deepCopy());
    variable.sort((a, b) -> Integer.compare(b.path("weight").asInt(), a.path("weight").asInt()));
    ArrayNode out = JSON.createArrayNode();
    variable.forEach(out::add);
    fixed.forEach(out::add);
    return out;
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
    b.set("variants", s.has("variants") ? (withId ? s.get("variants").deepCopy() : forWrite(s.get("variants"))) : JSON.createArrayNode());
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

  /** A write request, sent only while {@code lease} is held: it is checked immediately before. */
  private JsonNode post(String path, @Nullable JsonNode body, String what, StepLease lease) {
    lease.check();
    return send("POST", path, body, what);
  }

  private JsonNode put(String path, JsonNode body, String what, StepLease lease) {
    lease.check();
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
      // the one place Unleash's text enters: every message below passes the redactor
      throw new FlagWriteException(what + " failed: " + describe() + " did not answer " + method + " " + uri.getPath()
          + ": " + redactor.describe(e), redactor.scrub(e));
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
    // redact the whole body before it is cut short, so a cut cannot leave half a token unmatched
    String message = unleashMessage(redactor.redact(resp.body()));
    String prefix = what + ": " + describe() + " answered " + status + " to " + method + " " + uri.getPath() + ": " + message;
    switch (status) {
      case 401 -> throw new FlagWriteException(prefix + "; check that the admin token is valid and has admin scope for project '"
          + project + "'", status);
      case 403 -> throw new FlagWriteException(prefix + ("InvalidOperationError".equals(unleashErrorName(resp.body()))
          ? "" : "; check that the admin token is valid and has admin scope for project '" + project + "'"), status);
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

  private static String unleashErrorName(@Nullable String body) {
    try {
      return body == null ? "" : JSON.readTree(body).path("name").asText("");
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public String toString() {
    return "UnleashFlagStore[" + shownUrl + ", project=" + project + ", environment=" + environment + ", token=***]";
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
