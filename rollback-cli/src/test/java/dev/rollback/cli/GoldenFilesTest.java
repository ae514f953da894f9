package dev.rollback.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.cli.internal.Compiler;
import dev.rollback.cli.internal.Registry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every golden file loads into the plan its expectation describes (kind, name, fingerprint, the
 * outline every run journals, the document written back). Run with {@code -Dgolden.update=true}
 * to rewrite the expectations after an intended change, and review the diff.
 */
class GoldenFilesTest {
  static final List<String> FILES = List.of("checkout.yaml", "platform.yaml", "release.yaml", "web-template.yaml",
      "release-template.yaml", "templated-release.yaml", "shop-fleet.yaml", "staging.yaml", "small.json");

  static Stream<String> files() {
    return FILES.stream();
  }

  @ParameterizedTest
  @MethodSource("files")
  void loadsIntoThePlanItsExpectationDescribes(String name) throws IOException {
    String actual;
    try (PlanFile pf = Golden.loader().load(Golden.file(name))) {
      actual = describe(pf);
    }
    Path expected = Golden.dir().resolve("expected").resolve(name + ".txt");
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(Golden.sourceDir().resolve("expected").resolve(name + ".txt"), actual, StandardCharsets.UTF_8);
      return;
    }
    assertThat(actual).as("%s loaded as %s", name, expected).isEqualTo(Files.readString(expected, StandardCharsets.UTF_8));
  }

  static String describe(PlanFile pf) {
    StringBuilder b = new StringBuilder();
    b.append("kind: ").append(pf.kind()).append("\nname: ").append(pf.name()).append('\n');
    switch (pf.kind()) {
      case "RollbackPlan" -> {
        b.append("fingerprint: ").append(pf.fingerprint()).append("\nworst case: ").append(pf.rollbackPlan().worstCase()).append('\n');
        pf.rollbackPlan().outline().forEach(l -> b.append("| ").append(l).append('\n'));
      }
      case "Release" -> {
        b.append("fingerprint: ").append(pf.fingerprint()).append('\n');
        pf.release().outline().forEach(l -> b.append("| ").append(l).append('\n'));
      }
      case "Fleet" -> {
        b.append("waves: ").append(pf.fleet().waves()).append('\n');
        for (Fleet.Service s : pf.fleet().services()) {
          b.append("service ").append(s.name()).append(" dependsOn ").append(s.dependsOn()).append(" plan ")
              .append(s.plan().name()).append(' ').append(s.plan().fingerprint()).append('\n');
        }
      }
      default -> { }
    }
    b.append("--- written back\n").append(pf.toYaml());
    return b.toString().replace(Golden.dir().toString(), "<golden>");
  }

  @Test
  void theGoldenFilesUseEveryKindAndEveryRegisteredStepType() throws IOException {
    Set<String> kinds = new TreeSet<>();
    Set<String> types = new TreeSet<>();
    Pattern kind = Pattern.compile("(?m)^kind: (\\w+)|\"kind\": \"(\\w+)\"");
    Pattern type = Pattern.compile("type\"?: \"?([a-z0-9]+\\.[A-Za-z]+|wait|gate|notify)\\b");
    for (String f : FILES) {
      String text = Files.readString(Golden.file(f), StandardCharsets.UTF_8);
      Matcher m = kind.matcher(text);
      while (m.find()) kinds.add(m.group(1) != null ? m.group(1) : m.group(2));
      Matcher t = type.matcher(text);
      while (t.find()) types.add(t.group(1));
    }
    assertThat(kinds).containsExactlyInAnyOrderElementsOf(Compiler.KINDS);
    assertThat(types).containsAll(Registry.get().stepNames());
    assertThat(Registry.get().stepNames()).hasSizeGreaterThanOrEqualTo(24);
  }

  @Test
  void writingAPlanBackAndLoadingItGivesTheSameFingerprint() {
    for (String f : List.of("checkout.yaml", "platform.yaml", "release.yaml", "templated-release.yaml", "small.json")) {
      try (PlanFile pf = Golden.loader().load(Golden.file(f));
          PlanFile fromYaml = Golden.loader().parse(pf.toYaml(), f + " (as YAML)", Golden.dir());
          PlanFile fromJson = Golden.loader().parse(pf.toJson(), f + " (as JSON)", Golden.dir())) {
        assertThat(fromYaml.fingerprint()).as(f).isEqualTo(pf.fingerprint()).isNotEmpty();
        assertThat(fromJson.fingerprint()).as(f).isEqualTo(pf.fingerprint());
      }
    }
  }
}
