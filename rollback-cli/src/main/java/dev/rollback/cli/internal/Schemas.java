package dev.rollback.cli.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON Schema (draft-07) per kind, generated from the same field lists, check types, trigger
 * rules and registered step and target types the loader checks files against. The jar ships them
 * under {@code dev/rollback/cli/schemas/}; {@code rollback schema} prints them.
 */
public final class Schemas {
  private Schemas() {}

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  public static final String DURATION_PATTERN = "^(([0-9]+(\\.[0-9]+)?(ms|s|m|h|d))+|[Pp][0-9A-Za-z.]+)$";

  /** File name to schema text, for every kind. */
  public static Map<String, String> all(Registry registry) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String kind : Compiler.KINDS) out.put(fileName(kind), text(kind, registry));
    return out;
  }

  public static String fileName(String kind) {
    return kind.toLowerCase(java.util.Locale.ROOT) + ".schema.json";
  }

  public static String text(String kind, Registry registry) {
    try {
      return JSON.writeValueAsString(schema(kind, registry)) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static ObjectNode schema(String kind, Registry r) {
    ObjectNode s = JSON.createObjectNode();
    s.put("$schema", "http://json-schema.org/draft-07/schema#");
    s.put("$id", "https://rollback.dev/schemas/v1alpha1/" + fileName(kind));
    s.put("title", "Rollback " + kind);
    s.put("type", "object");
    s.set("required", arr("apiVersion", "kind", "metadata", "spec"));
    s.put("additionalProperties", false);
    ObjectNode p = s.putObject("properties");
    p.putObject("apiVersion").put("const", Compiler.API_VERSION);
    p.putObject("kind").put("const", kind);
    ObjectNode meta = obj(List.of("name"));
    ObjectNode mp = (ObjectNode) meta.get("properties");
    mp.putObject("name").put("type", "string").put("pattern", "^" + Compiler.NAME.pattern() + "$");
    mp.putObject("description").put("type", "string");
    mp.set("labels", stringMap());
    mp.set("annotations", stringMap());
    p.set("metadata", meta);
    ObjectNode defs = s.putObject("definitions");
    defs.set("duration", JSON.createObjectNode().put("type", "string").put("pattern", DURATION_PATTERN));
    defs.set("secret", secret());
    switch (kind) {
      case "RollbackPlan" -> {
        p.set("spec", ref("planSpec"));
        defs.set("planSpec", planSpec(false));
        common(defs, r);
      }
      case "Release" -> {
        p.set("spec", ref("releaseSpec"));
        defs.set("releaseSpec", planSpec(true));
        common(defs, r);
      }
      case "RollbackPlanTemplate", "ReleaseTemplate" -> {
        ObjectNode spec = obj(List.of("template"));
        ObjectNode sp = (ObjectNode) spec.get("properties");
        ObjectNode param = obj(List.of("name"));
        ((ObjectNode) param.get("properties")).set("name", str());
        ((ObjectNode) param.get("properties")).set("default", scalar());
        ((ObjectNode) param.get("properties")).set("description", str());
        sp.set("parameters", JSON.createObjectNode().put("type", "array").set("items", param));
        sp.set("template", JSON.createObjectNode().put("type", "object")
            .put("description", "the " + kind.replace("Template", "") + " spec, with ${parameter} placeholders"));
        p.set("spec", spec);
      }
      case "Fleet" -> {
        ObjectNode spec = obj(List.of("services"));
        ObjectNode sp = (ObjectNode) spec.get("properties");
        sp.set("budget", ref("duration"));
        sp.set("onFailure", JSON.createObjectNode().set("enum", arr("HALT_AND_ASK", "CONTINUE")));
        sp.set("journal", journal());
        ObjectNode svc = obj(List.of("name"));
        ObjectNode svp = (ObjectNode) svc.get("properties");
        svp.set("name", JSON.createObjectNode().put("type", "string").put("pattern", "^" + Compiler.NAME.pattern() + "$"));
        ObjectNode plan = obj(List.of("file"));
        ((ObjectNode) plan.get("properties")).set("file", str());
        svp.set("plan", plan);
        svp.set("template", templateUse());
        svp.set("dependsOn", JSON.createObjectNode().put("type", "array").set("items", str()));
        svc.set("oneOf", JSON.createArrayNode().add(JSON.createObjectNode().set("required", arr("plan")))
            .add(JSON.createObjectNode().set("required", arr("template"))));
        sp.set("services", JSON.createObjectNode().put("type", "array").put("minItems", 1).set("items", svc));
        p.set("spec", spec);
      }
      default -> {
        ObjectNode spec = obj(List.of("targets"));
        ((ObjectNode) spec.get("properties")).set("targets", JSON.createObjectNode().put("type", "object")
            .set("additionalProperties", ref("target")));
        p.set("spec", spec);
        defs.set("target", targets(r));
      }
    }
    return s;
  }

  private static void common(ObjectNode defs, Registry r) {
    defs.set("target", targets(r));
    defs.set("check", checks());
    defs.set("trigger", triggers());
    defs.set("signal", signal());
    defs.set("step", steps(r, false));
    defs.set("change", steps(r, true));
    defs.set("communication", communication());
  }

  private static ObjectNode planSpec(boolean release) {
    ObjectNode spec = obj(release ? List.of() : List.of());
    ObjectNode sp = (ObjectNode) spec.get("properties");
    ObjectNode dep = obj(List.of());
    ((ObjectNode) dep.get("properties")).set("service", str());
    ((ObjectNode) dep.get("properties")).set("version", scalar());
    sp.set("deployment", dep);
    sp.set("budget", ref("duration"));
    if (release) sp.set("onRevertFailure", JSON.createObjectNode().set("enum", arr("HALT_AND_ASK", "CONTINUE")));
    else sp.set("onFailure", JSON.createObjectNode().set("enum", arr("HALT_AND_ASK", "CONTINUE", "ABANDON")));
    sp.set("targets", JSON.createObjectNode().put("type", "object").set("additionalProperties", ref("target")));
    sp.set("checks", JSON.createObjectNode().put("type", "object").set("additionalProperties", ref("check")));
    sp.set("triggers", JSON.createObjectNode().put("type", "array").set("items", ref("trigger")));
    if (release) {
      ObjectNode gate = obj(List.of("healthGate"));
      ObjectNode hg = obj(List.of("check"));
      ((ObjectNode) hg.get("properties")).set("check", str());
      ((ObjectNode) hg.get("properties")).set("within", ref("duration"));
      ((ObjectNode) hg.get("properties")).set("every", ref("duration"));
      ((ObjectNode) gate.get("properties")).set("healthGate", hg);
      ObjectNode bake = obj(List.of("bake"));
      ObjectNode bk = obj(List.of("duration"));
      ((ObjectNode) bk.get("properties")).set("duration", ref("duration"));
      ((ObjectNode) bk.get("properties")).set("every", ref("duration"));
      ((ObjectNode) bake.get("properties")).set("bake", bk);
      sp.set("changes", JSON.createObjectNode().put("type", "array").set("items", JSON.createObjectNode()
          .set("anyOf", JSON.createArrayNode().add(ref("change")).add(gate).add(bake))));
    } else {
      ObjectNode stage = obj(List.of("name", "steps"));
      ObjectNode stp = (ObjectNode) stage.get("properties");
      stp.set("name", JSON.createObjectNode().put("type", "string").put("pattern", "^[^/]+$"));
      stp.set("parallel", bool());
      stp.set("steps", JSON.createObjectNode().put("type", "array").put("minItems", 1).set("items", ref("step")));
      sp.set("stages", JSON.createObjectNode().put("type", "array").put("minItems", 1).set("items", stage));
    }
    sp.set("verifiedBy", JSON.createObjectNode().put("type", "array").set("items", str()));
    ObjectNode soak = obj(List.of("window"));
    soak.put("description", "how long recovery is watched after the rollback: the verifiedBy checks and the triggers,"
        + " every 'every' (10s by default); a regression makes the run NOT_RECOVERED");
    ((ObjectNode) soak.get("properties")).set("window", ref("duration"));
    ((ObjectNode) soak.get("properties")).set("every", ref("duration"));
    sp.set("soak", soak);
    sp.set("communication", ref("communication"));
    sp.set("journal", journal());
    sp.set("template", templateUse());
    spec.set("anyOf", JSON.createArrayNode().add(JSON.createObjectNode().set("required", arr("template")))
        .add(JSON.createObjectNode().set("required", arr(release ? "changes" : "stages"))));
    return spec;
  }

  private static ObjectNode templateUse() {
    ObjectNode t = obj(List.of("file"));
    ((ObjectNode) t.get("properties")).set("file", str());
    ((ObjectNode) t.get("properties")).set("parameters", JSON.createObjectNode().put("type", "object")
        .set("additionalProperties", scalar()));
    return t;
  }

  private static ObjectNode journal() {
    ObjectNode j = obj(List.of("dir"));
    ((ObjectNode) j.get("properties")).set("dir", str());
    return j;
  }

  private static ObjectNode targets(Registry r) {
    ArrayNode one = JSON.createArrayNode();
    for (TargetType t : r.targets().values()) one.add(typed("type", t.name(), t.summary(), t.parameters(), null));
    return JSON.createObjectNode().set("oneOf", one);
  }

  private static ObjectNode checks() {
    ArrayNode one = JSON.createArrayNode();
    Checks.TYPES.forEach((name, params) -> one.add(typed("type", name, name + " check", params, null)));
    return JSON.createObjectNode().set("oneOf", one);
  }

  private static ObjectNode triggers() {
    ArrayNode one = JSON.createArrayNode();
    Triggers.RULES.forEach((rule, params) -> {
      ObjectNode o = typed("rule", rule, rule + " rule", params, null);
      ObjectNode props = (ObjectNode) o.get("properties");
      props.set("name", str());
      if (Triggers.SIGNAL_RULES.contains(rule)) {
        props.set("signal", ref("signal"));
        ((ArrayNode) o.get("required")).add("signal");
      }
      switch (rule) {
        case "burnRate" -> {
          ObjectNode w = obj(List.of("long", "short", "factor"));
          ((ObjectNode) w.get("properties")).set("long", ref("duration"));
          ((ObjectNode) w.get("properties")).set("short", ref("duration"));
          ((ObjectNode) w.get("properties")).set("factor", num(null, null));
          props.set("windows", JSON.createObjectNode().put("type", "array").set("items", w));
        }
        case "judge", "canarySequential" -> {
          props.set("baseline", ref("signal"));
          props.set("canary", ref("signal"));
          ((ArrayNode) o.get("required")).add("baseline").add("canary");
        }
        case "anyOf", "allOf" -> {
          props.set("members", JSON.createObjectNode().put("type", "array").put("minItems", 1).set("items", ref("trigger")));
          ((ArrayNode) o.get("required")).add("members");
        }
        case "sustained" -> {
          props.set("trigger", ref("trigger"));
          ((ArrayNode) o.get("required")).add("trigger");
        }
        default -> { }
      }
      one.add(o);
    });
    return JSON.createObjectNode().set("oneOf", one);
  }

  private static ObjectNode signal() {
    ObjectNode s = obj(List.of("check"));
    ((ObjectNode) s.get("properties")).set("check", str());
    ((ObjectNode) s.get("properties")).set("every", ref("duration"));
    ((ObjectNode) s.get("properties")).set("unknownAsDown", bool());
    return s;
  }

  private static ObjectNode steps(Registry r, boolean changes) {
    ArrayNode one = JSON.createArrayNode();
    for (StepType t : r.steps().values()) {
      if (changes && !t.hasChange()) continue;
      ObjectNode o = obj(List.of("type"));
      o.put("description", t.summary());
      ObjectNode props = (ObjectNode) o.get("properties");
      props.putObject("type").put("const", t.name());
      props.set("name", JSON.createObjectNode().put("type", "string").put("pattern", "^[^/]+$"));
      props.set("description", str());
      props.set("params", params(t.parameters()));
      if (t.parameters().stream().anyMatch(Parameter::isRequired)) ((ArrayNode) o.get("required")).add("params");
      props.set("timeout", ref("duration"));
      ObjectNode retry = obj(List.of("max"));
      ((ObjectNode) retry.get("properties")).set("max", integer(0L, 100L));
      ((ObjectNode) retry.get("properties")).set("delay", ref("duration"));
      ((ObjectNode) retry.get("properties")).set("maxDelay", ref("duration"));
      props.set("retries", JSON.createObjectNode().set("anyOf", JSON.createArrayNode().add(integer(0L, 100L)).add(retry)));
      if (changes) {
        props.set("notSafelyRevertible", JSON.createObjectNode().put("type", "string").put("minLength", 1)
            .put("pattern", "\\S").put("description", "why reverting this change is worse than keeping it: on a failure the"
            + " release freezes (nothing reverted, a FREEZE gate asks) instead of reverting"));
      }
      if (!changes) {
        ObjectNode a = obj(List.of("gate"));
        ObjectNode ap = (ObjectNode) a.get("properties");
        ap.set("gate", str());
        ap.set("timeout", ref("duration"));
        ap.set("onTimeout", JSON.createObjectNode().set("enum", arr("HALT", "PROCEED")));
        ap.set("answeredBy", str());
        props.set("approval", a);
        props.set("verifiedBy", JSON.createObjectNode().put("type", "array").set("items", str()));
        props.set("idempotent", bool());
        props.set("mayTerminateHost", bool());
      }
      one.add(o);
    }
    return JSON.createObjectNode().set("oneOf", one);
  }

  private static ObjectNode communication() {
    ObjectNode c = obj(List.of("audiences", "routes"));
    ObjectNode cp = (ObjectNode) c.get("properties");
    cp.set("audiences", JSON.createObjectNode().put("type", "object").set("additionalProperties",
        JSON.createObjectNode().put("type", "array").set("items", str())));
    ObjectNode routes = obj(List.of());
    ObjectNode rp = (ObjectNode) routes.get("properties");
    for (var k : dev.rollback.communication.NotificationKind.values()) {
      rp.set(k.name(), JSON.createObjectNode().put("type", "array").set("items", str()));
    }
    rp.set("all", JSON.createObjectNode().put("type", "array").set("items", str()));
    cp.set("routes", routes);
    ObjectNode esc = obj(List.of("from", "after", "to"));
    ((ObjectNode) esc.get("properties")).set("from", str());
    ((ObjectNode) esc.get("properties")).set("after", ref("duration"));
    ((ObjectNode) esc.get("properties")).set("to", str());
    cp.set("escalate", JSON.createObjectNode().put("type", "array").set("items", esc));
    cp.set("deduplicateWithin", ref("duration"));
    return c;
  }

  /** An object with {@code key: const name} and the parameters as its other properties. */
  private static ObjectNode typed(String key, String name, String description, List<Parameter> params, ObjectNode extra) {
    ObjectNode o = params(params);
    o.put("description", description);
    ObjectNode props = (ObjectNode) o.get("properties");
    ObjectNode withKey = JSON.createObjectNode();
    withKey.putObject(key).put("const", name);
    props.fields().forEachRemaining(e -> withKey.set(e.getKey(), e.getValue()));
    o.set("properties", withKey);
    ((ArrayNode) o.get("required")).insert(0, key);
    return o;
  }

  private static ObjectNode params(List<Parameter> params) {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", "object");
    ArrayNode req = o.putArray("required");
    o.put("additionalProperties", false);
    ObjectNode props = o.putObject("properties");
    for (Parameter p : params) {
      ObjectNode v = value(p);
      v.put("description", p.description() + p.defaultValue().map(d -> " (default " + d + ")").orElse(""));
      props.set(p.name(), v);
      if (p.isRequired()) req.add(p.name());
    }
    return o;
  }

  private static ObjectNode value(Parameter p) {
    Long min = p.min().orElse(null);
    Long max = p.max().orElse(null);
    return switch (p.type()) {
      case STRING, PATH, TARGET, CHECK -> scalar();
      case INTEGER -> integer(min, max);
      case NUMBER -> num(min, max);
      case BOOLEAN -> bool();
      case DURATION -> ref("duration");
      case URI -> JSON.createObjectNode().put("type", "string").put("pattern", "^[A-Za-z][A-Za-z0-9+.-]*:");
      case ENUM -> {
        ObjectNode e = JSON.createObjectNode();
        ArrayNode values = e.putArray("enum");
        p.choices().forEach(values::add);
        yield e;
      }
      case STRING_LIST -> JSON.createObjectNode().put("type", "array").set("items", scalar());
      case INTEGER_LIST -> JSON.createObjectNode().put("type", "array").set("items", integer(min, max));
      case STRING_MAP -> JSON.createObjectNode().put("type", "object").set("additionalProperties", scalar());
      case INTEGER_MAP -> JSON.createObjectNode().put("type", "object").set("additionalProperties", integer(min, max));
      case SECRET -> ref("secret");
    };
  }

  private static ObjectNode secret() {
    ObjectNode ref = JSON.createObjectNode();
    ref.put("type", "object");
    ref.put("additionalProperties", false);
    ref.putObject("properties").set("env", str());
    ((ObjectNode) ref.get("properties")).set("file", str());
    ref.set("oneOf", JSON.createArrayNode().add(JSON.createObjectNode().set("required", arr("env")))
        .add(JSON.createObjectNode().set("required", arr("file"))));
    ObjectNode s = obj(List.of("secretRef"));
    s.put("description", "a secret is never written in a file: reference an environment variable or a file");
    ((ObjectNode) s.get("properties")).set("secretRef", ref);
    return s;
  }

  private static ObjectNode obj(List<String> required) {
    ObjectNode o = JSON.createObjectNode();
    o.put("type", "object");
    ArrayNode req = o.putArray("required");
    required.forEach(req::add);
    o.put("additionalProperties", false);
    o.putObject("properties");
    return o;
  }

  private static ObjectNode ref(String def) {
    return JSON.createObjectNode().put("$ref", "#/definitions/" + def);
  }

  private static ObjectNode str() {
    return JSON.createObjectNode().put("type", "string");
  }

  /** A YAML scalar read as text: a string, or a number or boolean written without quotes. */
  private static ObjectNode scalar() {
    return JSON.createObjectNode().set("type", arr("string", "number", "boolean"));
  }

  private static ObjectNode bool() {
    return JSON.createObjectNode().set("anyOf", JSON.createArrayNode().add(JSON.createObjectNode().put("type", "boolean"))
        .add(JSON.createObjectNode().set("enum", arr("true", "false"))));
  }

  private static ObjectNode integer(Long min, Long max) {
    ObjectNode i = JSON.createObjectNode().put("type", "integer");
    if (min != null) i.put("minimum", min).put("maximum", max);
    return JSON.createObjectNode().set("anyOf", JSON.createArrayNode().add(i)
        .add(JSON.createObjectNode().put("type", "string").put("pattern", "^-?[0-9]+$")));
  }

  private static ObjectNode num(Long min, Long max) {
    ObjectNode i = JSON.createObjectNode().put("type", "number");
    if (min != null) i.put("minimum", min).put("maximum", max);
    return JSON.createObjectNode().set("anyOf", JSON.createArrayNode().add(i)
        .add(JSON.createObjectNode().put("type", "string").put("pattern", "^-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?$")));
  }

  private static ObjectNode stringMap() {
    return JSON.createObjectNode().put("type", "object").set("additionalProperties", scalar());
  }

  private static ArrayNode arr(String... values) {
    ArrayNode a = JSON.createArrayNode();
    for (String v : values) a.add(v);
    return a;
  }
}
