package dev.rollback.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.cli.internal.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files the module's README shows (each YAML block names its file on its first line) are
 * written out as a reader would and pass {@code validate}, {@code plan} and {@code runbook}.
 */
class ReadmeTest {
  @TempDir Path dir;

  static Map<String, String> files() throws Exception {
    String readme = Files.readString(Path.of("README.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("```yaml\\n# ([a-z.-]+\\.yaml)\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    Map<String, String> out = new LinkedHashMap<>();
    while (m.find()) out.put(m.group(1), m.group(2));
    return out;
  }

  int rollback(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).as(String.join(" ", args) + "\n" + out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8))
        .isZero();
    return code;
  }

  @Test
  void theReadmesPlanFleetTemplateAndTargetsValidateOutlineAndDocument() throws Exception {
    Map<String, String> files = files();
    assertThat(files).containsOnlyKeys("checkout-rollback.yaml", "staging.yaml", "shop.yaml", "web-service.yaml");
    for (Map.Entry<String, String> f : files.entrySet()) Files.writeString(dir.resolve(f.getKey()), f.getValue());
    Path migrations = Files.createDirectories(dir.resolve("db/migrations"));
    Files.writeString(migrations.resolve("V2.3.1__orders.sql"), "CREATE TABLE orders (id INT);\n");
    Files.writeString(migrations.resolve("U2.3.1__orders.sql"), "DROP TABLE orders;\n");

    for (String f : files.keySet()) rollback("validate", dir.resolve(f).toString());
    rollback("plan", dir.resolve("checkout-rollback.yaml").toString());
    rollback("plan", dir.resolve("shop.yaml").toString());
    rollback("runbook", dir.resolve("checkout-rollback.yaml").toString(), "--out", dir.resolve("runbook.md").toString());
    assertThat(Files.readString(dir.resolve("runbook.md"))).contains("consecutiveFailures n=3", "| dba |", "the DBA on call");
    try (PlanFile fleet = Plans.loader().withoutSecrets().load(dir.resolve("shop.yaml"))) {
      assertThat(fleet.fleet().waves()).containsExactly(java.util.List.of("frontend"), java.util.List.of("checkout", "search"),
          java.util.List.of("payments"));
    }
  }
}
