package dev.rollback.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Plan → file → plan: a plan written back as YAML or JSON and loaded again has the same
 * fingerprint (everything that shapes a run is the same), whatever its names and values hold
 * (quotes, colons, hashes, dashes, non-ASCII letters, text that looks like a number).
 */
class RoundTripProperties {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Property(tries = 60)
  void aPlanWrittenBackLoadsWithTheSameFingerprint(@ForAll("plans") Map<String, Object> doc) throws Exception {
    String source = JSON.writeValueAsString(doc);
    try (PlanFile original = Golden.loader().parse(source, "generated.json", Golden.dir());
        PlanFile fromYaml = Golden.loader().parse(original.toYaml(), "written.yaml", Golden.dir());
        PlanFile fromJson = Golden.loader().parse(original.toJson(), "written.json", Golden.dir())) {
      assertThat(fromYaml.fingerprint()).isEqualTo(original.fingerprint());
      assertThat(fromJson.fingerprint()).isEqualTo(original.fingerprint());
      assertThat(fromYaml.rollbackPlan().outline()).isEqualTo(original.rollbackPlan().outline());
      assertThat(fromYaml.toYaml()).isEqualTo(original.toYaml());
    }
  }

  @Provide
  Arbitrary<Map<String, Object>> plans() {
    Arbitrary<List<Map<String, Object>>> stages = stage().list().ofMinSize(1).ofMaxSize(4);
    return Combinators.combine(stages, Arbitraries.integers().between(1, 600), Arbitraries.of("HALT_AND_ASK", "CONTINUE"))
        .as((st, budget, policy) -> {
          List<Map<String, Object>> named = new ArrayList<>();
          for (int i = 0; i < st.size(); i++) {
            Map<String, Object> s = new LinkedHashMap<>(st.get(i));
            s.put("name", s.get("name") + " " + i);
            named.add(s);
          }
          Map<String, Object> spec = new LinkedHashMap<>();
          spec.put("budget", budget + "s");
          spec.put("onFailure", policy);
          spec.put("targets", Map.of("flags", Map.of("type", "flagd", "file", "flags.json"),
              "lb", Map.of("type", "haproxy", "socket", "/run/haproxy/admin.sock")));
          spec.put("stages", named);
          Map<String, Object> doc = new LinkedHashMap<>();
          doc.put("apiVersion", "rollback.dev/v1alpha1");
          doc.put("kind", "RollbackPlan");
          doc.put("metadata", Map.of("name", "generated", "description", "any text: \"quoted\" # not a comment"));
          doc.put("spec", spec);
          return doc;
        });
  }

  private Arbitrary<String> text() {
    return Arbitraries.oneOf(Arbitraries.strings().withChars("abcXYZ019 -_.:#'\"{}[]@&*!|>%éß").ofMinLength(1).ofMaxLength(12)
            .filter(s -> !s.isBlank() && !s.contains("/")),
        Arbitraries.of("true", "null", "~", "1.0", "-3", "yes", "no", "0x1F", "2.3.1", "on"));
  }

  private Arbitrary<Map<String, Object>> stage() {
    return Combinators.combine(text(), Arbitraries.of(true, false), step().list().ofMinSize(1).ofMaxSize(3))
        .as((name, parallel, steps) -> {
          List<Map<String, Object>> named = new ArrayList<>();
          for (int i = 0; i < steps.size(); i++) {
            Map<String, Object> s = new LinkedHashMap<>(steps.get(i));
            s.put("name", "step " + i + " " + s.get("name"));
            named.add(s);
          }
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("name", name);
          m.put("parallel", parallel);
          m.put("steps", named);
          return m;
        });
  }

  private Arbitrary<Map<String, Object>> step() {
    Arbitrary<Map<String, Object>> wait = Arbitraries.integers().between(1, 5000)
        .map(ms -> step("wait", Map.of("duration", ms + "ms")));
    Arbitrary<Map<String, Object>> gate = Combinators.combine(text(), Arbitraries.integers().between(1, 60))
        .as((g, m) -> step("gate", Map.of("gate", g, "timeout", m + "m", "question", g)));
    Arbitrary<Map<String, Object>> kill = text().map(f -> step("flag.killSwitch", Map.of("target", "flags", "flag", f)));
    Arbitrary<Map<String, Object>> weights = Combinators.combine(Arbitraries.integers().between(0, 256),
            Arbitraries.integers().between(0, 256))
        .as((a, b) -> step("lb.weights", Map.of("target", "lb", "backend", "checkout", "weights", Map.of("blue", a, "green", b))));
    Arbitrary<Map<String, Object>> http = Arbitraries.integers().between(1, 300)
        .map(s -> step("http.check", Map.of("url", "http://127.0.0.1:8080/health?x=" + s, "within", s + "s")));
    return Combinators.combine(Arbitraries.oneOf(wait, gate, kill, weights, http), Arbitraries.integers().between(0, 3),
            Arbitraries.integers().between(1, 120), text())
        .as((s, retries, timeout, description) -> {
          Map<String, Object> m = new LinkedHashMap<>(s);
          if (retries > 0) m.put("retries", retries);
          if (timeout % 2 == 0) m.put("timeout", timeout + "s");
          if (timeout % 3 == 0) m.put("description", description);
          return m;
        });
  }

  private static Map<String, Object> step(String type, Map<String, Object> params) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("type", type);
    m.put("name", type);
    m.put("params", params);
    return m;
  }
}
