package dev.rollback.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code validate FILE...} and {@code plan FILE} run without picocli, and say exactly what they say through it. */
class PlainFilesTest {
  @TempDir Path dir;

  record Ran(int exit, String out, String err) {}

  private Ran run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Ran(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path sample() throws Exception {
    Path f = dir.resolve("warm-up.yaml");
    try (InputStream in = Main.class.getResourceAsStream("/dev/rollback/cli/sample/warm-up.yaml")) {
      Files.write(f, in.readAllBytes());
    }
    return f;
  }

  @Test
  void onlyFileNamesAfterValidateOrOneAfterPlanSkipPicocli() {
    assertThat(Main.plainFiles(new String[] {"validate", "a.yaml", "b.yaml"})).isInstanceOf(Main.Validate.class);
    assertThat(Main.plainFiles(new String[] {"plan", "a.yaml"})).isInstanceOf(Main.PlanCmd.class);
  }

  @Test
  void optionsHelpArgumentFilesAndWrongCountsAreLeftToPicocli() {
    assertThat(Main.plainFiles(new String[] {"validate"})).isNull();
    assertThat(Main.plainFiles(new String[] {"validate", "--help"})).isNull();
    assertThat(Main.plainFiles(new String[] {"validate", "a.yaml", "-o", "json"})).isNull();
    assertThat(Main.plainFiles(new String[] {"validate", "@args.txt"})).isNull();
    assertThat(Main.plainFiles(new String[] {"validate", ""})).isNull();
    assertThat(Main.plainFiles(new String[] {"plan", "a.yaml", "b.yaml"})).isNull();
    assertThat(Main.plainFiles(new String[] {"run", "a.yaml"})).isNull();
  }

  @Test
  void validateSaysWhatItSaysThroughPicocli() throws Exception {
    Path f = sample();
    assertThat(run("validate", f.toString())).isEqualTo(run("validate", "--output", "text", f.toString()));
  }

  @Test
  void planSaysWhatItSaysThroughPicocli() throws Exception {
    Path f = sample();
    Ran plain = run("plan", f.toString());
    assertThat(plain.exit()).isZero();
    assertThat(plain.out()).contains("Worst case");
    assertThat(plain).isEqualTo(run("plan", "--output", "text", f.toString()));
  }

  @Test
  void aPlanFileWithProblemsGetsTheSameProblemsAndExitCode() throws Exception {
    Path f = dir.resolve("broken.yaml");
    Files.writeString(f, "apiVersion: rollback.dev/v1alpha1\nkind: RollbackPlan\nmetadata: {name: Broken}\nspec: {stages: []}\n");
    Ran plain = run("validate", f.toString());
    assertThat(plain.exit()).isEqualTo(Exit.INVALID);
    assertThat(plain.out()).contains("metadata.name");
    assertThat(plain).isEqualTo(run("validate", "-o", "text", f.toString()));
    Ran plan = run("plan", f.toString());
    assertThat(plan.exit()).isEqualTo(Exit.INVALID);
    assertThat(plan).isEqualTo(run("plan", "-o", "text", f.toString()));
  }

  @Test
  void aMissingFileIsReportedAsThroughPicocli() {
    Path f = dir.resolve("missing.yaml");
    Ran plain = run("plan", f.toString());
    assertThat(plain.exit()).isEqualTo(Exit.INVALID);
    assertThat(plain.err()).contains("cannot read the file");
    assertThat(plain).isEqualTo(run("plan", "-o", "text", f.toString()));
  }
}
