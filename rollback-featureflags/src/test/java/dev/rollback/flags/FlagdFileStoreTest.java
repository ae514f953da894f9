package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlagdFileStoreTest {
  static final String FLAGS = """
      {
        "$schema": "https://flagd.dev/schema/v0/flags.json",
        "flags": {
          "new-checkout": {
            "state": "ENABLED",
            "variants": {"on": true, "off": false},
            "defaultVariant": "off",
            "targeting": {"fractional": [["on", 10], ["off", 90]]}
          },
          "dark-mode": {
            "state": "ENABLED",
            "variants": {"yes": true, "no": false},
            "defaultVariant": "yes",
            "metadata": {"owner": "ui"}
          }
        },
        "$evaluators": {"emails": {"in": ["@example.com", {"var": "email"}]}}
      }
      """;
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private FlagdFileStore store(String content) throws Exception {
    Path file = dir.resolve("flags.json");
    Files.writeString(file, content);
    return FlagdFileStore.of(file);
  }

  @Test
  void readsAFractionalRuleAsAPercentage() throws Exception {
    FlagdFileStore store = store(FLAGS);
    FlagState s = store.read("new-checkout");
    assertThat(s.enabled()).isTrue();
    assertThat(s.rollout()).isEqualTo(Rollout.percent(10));
    assertThat(store.read("dark-mode").rollout()).isEqualTo(Rollout.all());
  }

  @Test
  void killSwitchServesTheOffVariantToEveryoneAndKeepsTheFlagEnabled() throws Exception {
    FlagdFileStore store = store(FLAGS);
    store.disable("new-checkout");
    JsonNode f = JSON.readTree(Files.readString(store.file())).path("flags").path("new-checkout");
    assertThat(f.path("state").asText()).isEqualTo("ENABLED");
    assertThat(f.path("defaultVariant").asText()).isEqualTo("off");
    assertThat(f.has("targeting")).isFalse();
    assertThat(store.read("new-checkout").enabled()).isFalse();
  }

  @Test
  void findsTheOffVariantByItsFalseValue() throws Exception {
    FlagdFileStore store = store(FLAGS);
    store.disable("dark-mode");
    assertThat(JSON.readTree(Files.readString(store.file())).at("/flags/dark-mode/defaultVariant").asText()).isEqualTo("no");
  }

  @Test
  void writesAPercentageAsAFractionalRuleWithTheOnVariantFirst() throws Exception {
    FlagdFileStore store = store(FLAGS);
    store.setRollout("new-checkout", Rollout.percent(50));
    JsonNode t = JSON.readTree(Files.readString(store.file())).at("/flags/new-checkout/targeting/fractional");
    assertThat(t.toString()).isEqualTo("[[\"on\",50],[\"off\",50]]");
    assertThat(store.read("new-checkout").rollout()).isEqualTo(Rollout.percent(50));
  }

  @Test
  void keepsEverythingElseInTheFileAsItWas() throws Exception {
    FlagdFileStore store = store(FLAGS);
    JsonNode before = JSON.readTree(FLAGS);
    store.disable("new-checkout");
    JsonNode after = JSON.readTree(Files.readString(store.file()));
    assertThat(after.get("$schema")).isEqualTo(before.get("$schema"));
    assertThat(after.get("$evaluators")).isEqualTo(before.get("$evaluators"));
    assertThat(after.at("/flags/dark-mode")).isEqualTo(before.at("/flags/dark-mode"));
  }

  @Test
  void restoresACapturedFlagExactly() throws Exception {
    FlagdFileStore store = store(FLAGS);
    FlagState before = store.read("new-checkout");
    store.setRollout("new-checkout", Rollout.percent(80));
    store.disable("new-checkout");
    store.restore(before);
    assertThat(JSON.readTree(Files.readString(store.file()))).isEqualTo(JSON.readTree(FLAGS));
    assertThat(store.read("new-checkout")).isEqualTo(before);
  }

  @Test
  void refusesToWriteOverAFileThatIsNotJsonAndReportsThePosition() throws Exception {
    String broken = FLAGS.replace("\"defaultVariant\": \"off\",", "\"defaultVariant\": \"off\"");
    FlagdFileStore store = store(broken);
    assertThatThrownBy(() -> store.disable("new-checkout"))
        .isInstanceOfSatisfying(InvalidFlagFileException.class, e -> {
          assertThat(e.line()).isEqualTo(8);
          assertThat(e.getMessage()).contains("line 8").contains("left unchanged");
        });
    assertThat(Files.readString(store.file())).isEqualTo(broken);
    assertThat(Files.list(dir)).hasSize(1);
  }

  @Test
  void refusesAFileWithoutAFlagsObject() throws Exception {
    FlagdFileStore store = store("{\"flag\": {}}");
    assertThatThrownBy(() -> store.read("x")).isInstanceOf(InvalidFlagFileException.class)
        .hasMessageContaining("no \"flags\" object");
  }

  @Test
  void namesTheKnownFlagsWhenAFlagIsUnknown() throws Exception {
    FlagdFileStore store = store(FLAGS);
    assertThatThrownBy(() -> store.setRollout("nope", Rollout.percent(5)))
        .isInstanceOf(UnknownFlagException.class)
        .hasMessageContaining("'nope'").hasMessageContaining("dark-mode, new-checkout");
    assertThat(Files.readString(store.file())).isEqualTo(FLAGS);
  }

  @Test
  void readsACustomTargetingRuleAsCustomAndRestoresItVerbatim() throws Exception {
    String custom = FLAGS.replace("{\"fractional\": [[\"on\", 10], [\"off\", 90]]}",
        "{\"if\": [{\"$ref\": \"emails\"}, \"on\", \"off\"]}");
    FlagdFileStore store = store(custom);
    FlagState before = store.read("new-checkout");
    assertThat(before.rollout()).isEqualTo(Rollout.Custom.INSTANCE);
    assertThat(before.isPredictable()).isFalse();
    store.disable("new-checkout");
    store.restore(before);
    assertThat(JSON.readTree(Files.readString(store.file()))).isEqualTo(JSON.readTree(custom));
  }

  @Test
  void explainsHowToNameAnOffVariantWhenThereIsNone() throws Exception {
    FlagdFileStore store = store("{\"flags\":{\"color\":{\"state\":\"ENABLED\",\"variants\":{\"red\":\"r\",\"blue\":\"b\"},\"defaultVariant\":\"red\"}}}");
    assertThatThrownBy(() -> store.disable("color")).hasMessageContaining("no off variant").hasMessageContaining("withVariants");
    store.withOffVariant("color", "blue").disable("color");
    assertThat(store.read("color").rollout()).isEqualTo(Rollout.weights("blue", 1));
  }

  @Test
  void weightsOnAFlagWithoutAnOffVariantKeepItsDefaultAndReadBackAsWeights() throws Exception {
    FlagdFileStore store = store("{\"flags\":{\"color\":{\"state\":\"ENABLED\",\"variants\":{\"red\":\"r\",\"blue\":\"b\"},\"defaultVariant\":\"red\"}}}");
    store.setRollout("color", Rollout.weights("blue", 3, "red", 1));
    JsonNode f = JSON.readTree(Files.readString(store.file())).path("flags").path("color");
    assertThat(f.path("defaultVariant").asText()).isEqualTo("red");
    assertThat(f.path("targeting").toString()).isEqualTo("{\"fractional\":[[\"blue\",3],[\"red\",1]]}");
    assertThat(store.read("color").rollout()).isEqualTo(Rollout.weights("blue", 3, "red", 1));
    assertThat(store.variantValues("color")).containsExactly(java.util.Map.entry("red", "r"), java.util.Map.entry("blue", "b"));
  }
}
