package dev.rollback.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The bad-input corpus: each file in {@code bad/} is refused with exactly the problems
 * {@code bad/expected.txt} lists for it — every problem at once, each with its file, line,
 * column, path in the document and message (with the closest known name for a typo).
 */
class BadInputTest {

  static Path dir() throws URISyntaxException {
    return Path.of(BadInputTest.class.getResource("/bad/expected.txt").toURI()).getParent();
  }

  /** File name to the problems expected for it, as {@code file:line:col: path: message}. */
  static Map<String, List<String>> expected() throws IOException, URISyntaxException {
    return Files.readAllLines(dir().resolve("expected.txt"), StandardCharsets.UTF_8).stream()
        .filter(l -> !l.isBlank())
        .collect(Collectors.groupingBy(l -> l.substring(0, l.indexOf(':')), TreeMap::new, Collectors.toList()));
  }

  static Stream<String> files() throws IOException, URISyntaxException {
    return expected().keySet().stream();
  }

  @ParameterizedTest
  @MethodSource("files")
  void isRefusedWithEveryProblemAtItsPlace(String name) throws Exception {
    Path file = dir().resolve(name);
    PlanFileException e = catchThrowableOfType(PlanFileException.class, () -> Golden.loader().load(file).close());
    assertThat(e).as("%s must be refused", name).isNotNull();
    String prefix = dir() + "/";
    List<String> actual = e.problems().stream().map(p -> p.toString().replace(prefix, "")).sorted().toList();
    assertThat(actual).isEqualTo(expected().get(name).stream().sorted().toList());
    for (Problem p : e.problems()) {
      assertThat(p.line()).as("line of %s", p).isPositive();
      assertThat(p.column()).as("column of %s", p).isPositive();
    }
  }

  @Test
  void theCorpusCoversTypoSuggestionsSecretsSyntaxCyclesTemplatesAndJson() throws Exception {
    String all = String.join("\n", expected().values().stream().flatMap(List::stream).toList());
    assertThat(all).contains("did you mean 'flag.killSwitch'?", "did you mean 'weights'?", "did you mean 'stages'?",
        "a secret must not be written in the file", "not valid YAML or JSON", "in a cycle: a → b → c → a",
        "did you mean 'service'?", "bad.json:9:88", "is written twice");
    assertThat(expected()).hasSizeGreaterThanOrEqualTo(15);
  }

  @Test
  void aPlaintextSecretIsNeverRepeatedInTheError() throws Exception {
    PlanFileException e = catchThrowableOfType(PlanFileException.class,
        () -> Golden.loader().load(dir().resolve("plaintext-secret.yaml")).close());
    assertThat(e.getMessage()).contains("spec.targets.db.password").doesNotContain("hunter2");
  }
}
