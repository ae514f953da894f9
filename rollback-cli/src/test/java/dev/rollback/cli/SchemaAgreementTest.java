package dev.rollback.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import dev.rollback.cli.internal.Node;
import dev.rollback.cli.internal.Registry;
import dev.rollback.cli.internal.Schemas;
import dev.rollback.cli.internal.Writer;
import dev.rollback.cli.internal.YamlReader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The JSON Schemas and the loader agree: the schemas in the jar are the ones generated from the
 * loader's own field lists and the registered types; every golden file passes its kind's schema;
 * the structural mistakes of the bad-input corpus fail it, as they fail the loader.
 */
class SchemaAgreementTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void theSchemasInTheJarAreTheOnesTheLoaderGenerates() throws IOException {
    Map<String, String> generated = Schemas.all(Registry.get());
    assertThat(generated).hasSize(6);
    for (Map.Entry<String, String> e : generated.entrySet()) {
      try (InputStream in = getClass().getResourceAsStream("/dev/rollback/cli/schemas/" + e.getKey())) {
        assertThat(in).as("schema %s in the jar (regenerate with: rollback schema --out-dir"
            + " rollback-cli/src/main/resources/dev/rollback/cli/schemas)", e.getKey()).isNotNull();
        assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  @Test
  void everyGoldenFilePassesItsKindsSchema() throws IOException {
    for (String f : GoldenFilesTest.FILES) {
      JsonNode doc = asJson(Golden.file(f));
      Set<ValidationMessage> errors = schema(doc.get("kind").asText()).validate(doc);
      assertThat(errors).as("%s against its schema", f).isEmpty();
    }
  }

  @Test
  void structuralMistakesFailTheSchemaAsTheyFailTheLoader() throws Exception {
    Path bad = BadInputTest.dir();
    for (String f : List.of("unknown-step-type.yaml", "param-typo.yaml", "wrong-types.yaml", "plaintext-secret.yaml",
        "unknown-field.yaml", "bad-kind.yaml", "bad.json", "missing-param.yaml", "unknown-check.yaml")) {
      JsonNode doc = asJson(bad.resolve(f));
      String kind = f.equals("bad-kind.yaml") ? "RollbackPlan" : doc.get("kind").asText();
      assertThat(schema(kind).validate(doc)).as("%s against the %s schema", f, kind).isNotEmpty();
      assertThat(BadInputTest.expected()).as("the loader refuses %s", f).containsKey(f);
    }
  }

  static JsonSchema schema(String kind) {
    String text = Schemas.text(kind, Registry.get());
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7).getSchema(text);
  }

  /** The document as a YAML-to-JSON converter gives it to a schema validator: unquoted numbers and booleans as such. */
  static JsonNode asJson(Path file) throws IOException {
    Node root = YamlReader.parse(Files.readString(file, StandardCharsets.UTF_8), file.toString()).root().orElseThrow();
    return JSON.readTree(Writer.json(root));
  }
}
