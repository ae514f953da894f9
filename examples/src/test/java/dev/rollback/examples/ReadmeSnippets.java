package dev.rollback.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Keeps the README's code identical to code the tests compile and run. A test source marks a part
 * of itself with {@code // README:begin NAME} and {@code // README:end NAME} on lines of their own;
 * the lines between, without the begin marker's indentation, must appear in the README as they are.
 */
public final class ReadmeSnippets {
  private static final Path TEST_SOURCES = Path.of("src/test/java/dev/rollback/examples");
  private static final Path README = Path.of("../README.md");

  private ReadmeSnippets() {}

  /** The lines between the markers named {@code name} in {@code source} (relative to this package's folder). */
  public static String snippet(String source, String name) throws IOException {
    Path file = TEST_SOURCES.resolve(source);
    List<String> lines = Files.readAllLines(file);
    int begin = markerLine(lines, file, "// README:begin " + name);
    int end = markerLine(lines, file, "// README:end " + name);
    assertThat(end).as("%s: the end marker of '%s' must come after its begin marker", file, name).isGreaterThan(begin);
    String marker = lines.get(begin);
    int indent = marker.length() - marker.stripLeading().length();
    return lines.subList(begin + 1, end).stream()
        .map(l -> l.length() >= indent && l.substring(0, indent).isBlank() ? l.substring(indent) : l.strip())
        .collect(Collectors.joining("\n"));
  }

  /** Fails unless the README holds the snippet {@code name} of {@code source} followed by {@code after}. */
  public static void assertReadmeShows(String source, String name, String after) throws IOException {
    String code = snippet(source, name) + after;
    assertThat(Files.readString(README))
        .as("the README's copy of %s (between the markers '%s'); copy it from the test source again", source, name)
        .contains(code);
  }

  /** Fails unless the README holds the snippet {@code name} of {@code source} exactly. */
  public static void assertReadmeShows(String source, String name) throws IOException {
    assertReadmeShows(source, name, "");
  }

  /** Fails unless the README holds the text of {@code resource} (under src/test/resources) exactly. */
  public static void assertReadmeShowsResource(String resource) throws IOException {
    String text = Files.readString(Path.of("src/test/resources").resolve(resource)).strip();
    assertThat(Files.readString(README)).as("the README's copy of %s", resource).contains(text);
  }

  private static int markerLine(List<String> lines, Path file, String marker) {
    int at = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().equals(marker)) {
        assertThat(at).as("%s has the marker '%s' twice", file, marker).isEqualTo(-1);
        at = i;
      }
    }
    assertThat(at).as("%s has no line '%s'", file, marker).isNotEqualTo(-1);
    return at;
  }
}
