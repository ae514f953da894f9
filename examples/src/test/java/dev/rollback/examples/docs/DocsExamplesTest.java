package dev.rollback.examples.docs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.rollback.examples.docs.DocExamples.Block;
import dev.rollback.examples.docs.DocExamples.Doc;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every {@code ```java} example of the user documentation compiles against the modules as they
 * are, and those of rollback-test's README, which need nothing but memory, also run. To give an
 * example a name it takes as given (a data source, a client), declare it in the file's prelude.
 */
class DocsExamplesTest {
  private static final Path ROOT = Path.of("..");
  private static final Doc TEST_KIT = new Doc("rollback-test/README.md", TestReadme.class);

  /** The documentation files whose examples are compiled, each with its prelude. */
  static final List<Doc> DOCS = List.of(
      new Doc("docs/detection.md", DetectionDocs.class),
      new Doc("rollback-featureflags/README.md", FeatureFlagsReadme.class),
      new Doc("rollback-lb/README.md", LbReadme.class),
      new Doc("rollback-k8s/README.md", K8sReadme.class),
      new Doc("rollback-notify/README.md", NotifyReadme.class),
      new Doc("rollback-micrometer/README.md", MicrometerReadme.class),
      TEST_KIT);

  @TempDir static Path classes;
  static List<String> errors;

  @BeforeAll
  static void compileEveryExample() throws Exception {
    errors = DocExamples.compile(ROOT, DOCS, classes);
  }

  @Test
  void everyJavaExampleOfTheDocsCompiles() {
    assertThat(errors).as("compile errors in the docs' examples").isEmpty();
  }

  @Test
  void everyCompiledDocHasJavaExamples() throws Exception {
    for (Doc doc : DOCS) {
      assertThat(DocExamples.blocks(doc.file(), Files.readString(ROOT.resolve(doc.file())))).as(doc.file()).isNotEmpty();
    }
  }

  @Test
  void everyExampleOfTheTestKitsReadmeRunsAndItsAssertionsHold() throws Exception {
    assertThat(errors).filteredOn(e -> e.startsWith(TEST_KIT.file())).isEmpty();
    List<Block> blocks = DocExamples.blocks(TEST_KIT.file(), Files.readString(ROOT.resolve(TEST_KIT.file())));
    assertThat(blocks).hasSizeGreaterThanOrEqualTo(6);

    try (URLClassLoader loader = new URLClassLoader(new URL[] {classes.toUri().toURL()}, DocsExamplesTest.class.getClassLoader())) {
      for (int n = 1; n <= blocks.size(); n++) {
        Block block = blocks.get(n - 1);
        Class<?> example = loader.loadClass(DocExamples.className(TEST_KIT.file(), n));
        try (TestReadme readme = (TestReadme) example.getConstructor().newInstance()) {
          readme.example();
        } catch (AssertionError | Exception e) {
          Throwable cause = e instanceof InvocationTargetException i ? i.getCause() : e;
          fail(TEST_KIT.file() + ":" + block.firstLine() + ": the example fails: " + cause, cause);
        }
      }
    }
  }

  @Test
  void aBrokenExampleIsReportedAtItsLineInTheDocumentationFile(@TempDir Path out) throws Exception {
    String markdown = String.join("\n",
        "# A doc",
        "",
        "  ```java",
        "  RollbackPlan fine = RollbackPlan.builder(\"p\").step(Step.of(\"s\", ctx -> { })).build();",
        "  RollbackPlan broken = RollbackPlan.builder(\"p\").stepp(null);",
        "  ```",
        "");
    List<Block> blocks = DocExamples.blocks("docs/broken.md", markdown);

    assertThat(blocks).singleElement().satisfies(b -> {
      assertThat(b.firstLine()).isEqualTo(4);
      assertThat(b.code()).startsWith("RollbackPlan fine");
    });
    assertThat(DocExamples.compile(blocks, TestReadme.class, out)).singleElement().asString()
        .startsWith("docs/broken.md:5: ")
        .contains("stepp");
  }
}
