package dev.rollback.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An index of the types stands in for searching the class path only while every jar of it is the one it was written for. */
class TypeIndexTest {
  @TempDir Path dir;
  Path app;
  Path lib;
  Path index;

  @BeforeEach
  void aClassPathOfTwoJars() throws Exception {
    app = Files.write(dir.resolve("app.jar"), new byte[] {1, 2, 3});
    lib = Files.write(dir.resolve("lib.jar"), new byte[] {4, 5});
    index = dir.resolve("types");
    Files.writeString(index, "rollback type index 1\n" + jar(app) + jar(lib)
        + "absent\tsimplelogger.properties\nstep\tdev.rollback.internal.spi.WaitStepType\n");
  }

  private static String jar(Path p) {
    File f = p.toFile();
    return "jar\t" + f.length() + "\t" + f.lastModified() + "\t" + f.getAbsolutePath() + "\n";
  }

  @Test
  void listsTheTypesAndMissingResourcesOfTheClassPathItWasWrittenFor() {
    TypeIndex.Listed listed = TypeIndex.read(index, app.toString());
    assertThat(listed).isNotNull();
    assertThat(listed.steps()).containsExactly("dev.rollback.internal.spi.WaitStepType");
    assertThat(listed.absent()).containsExactly("simplelogger.properties");
    assertThat(TypeIndex.registry(listed, getClass().getClassLoader()).stepNames()).containsExactly("wait");
  }

  @Test
  void isNotUsedOnceAJarOfItsClassPathChanged() throws Exception {
    Files.setLastModifiedTime(lib, FileTime.fromMillis(lib.toFile().lastModified() + 2000));
    assertThat(TypeIndex.read(index, app.toString())).isNull();
  }

  @Test
  void isNotUsedOnAnotherClassPath() {
    assertThat(TypeIndex.read(index, lib.toString())).isNull();
    assertThat(TypeIndex.read(index, app + File.pathSeparator + dir.resolve("other.jar"))).isNull();
  }

  @Test
  void aFileThatIsNoIndexIsNotUsed() throws Exception {
    Files.writeString(index, String.join("\n", List.of("something else", jar(app))));
    assertThat(TypeIndex.read(index, app.toString())).isNull();
  }
}
