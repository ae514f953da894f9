package dev.rollback.examples;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The rooms hold: the model does not depend on the engine or any other room built on it, and no
 * module's main code uses another module's internals. Checks the main classes of every module.
 */
class ArchitectureTest {
  /** Each module's root package, core's first. */
  private static final List<String> MODULES = List.of("dev.rollback", "dev.rollback.test", "dev.rollback.micrometer",
      "dev.rollback.notify", "dev.rollback.jdbc", "dev.rollback.lb", "dev.rollback.k8s", "dev.rollback.flags", "dev.rollback.swarm",
      "dev.rollback.cli");

  /** Assemblies: they may depend on every module (never on another module's internals). */
  private static final List<String> ASSEMBLIES = List.of("dev.rollback.cli");

  /** Core's packages other than the model itself. */
  private static final String[] CORE_ROOMS = {"dev.rollback.engine..", "dev.rollback.detect..", "dev.rollback.guard..",
      "dev.rollback.communication..", "dev.rollback.journal..", "dev.rollback.report..", "dev.rollback.spi..",
      "dev.rollback.internal.."};

  private static final JavaClasses MAIN = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
      .importPackages("dev.rollback");

  @Test
  void everyModuleIsImported() {
    for (String root : MODULES) {
      assertThat(MAIN.stream().anyMatch(c -> c.getPackageName().startsWith(root)))
          .as("classes of %s on the test classpath", root).isTrue();
    }
  }

  @Test
  void theModelDependsOnNoEngineJournalReportGuardOrInternal() {
    noClasses().that().resideInAPackage("dev.rollback")
        .should().dependOnClassesThat().resideInAnyPackage("dev.rollback.engine..", "dev.rollback.guard..",
            "dev.rollback.journal..", "dev.rollback.report..", "dev.rollback.spi..", "dev.rollback.internal..")
        .because("the model and DSL describe a rollback; the engine and everything built on it depend on them, never the reverse")
        .check(MAIN);
  }

  @Test
  void noModuleUsesCoresInternals() {
    noClasses().that().resideOutsideOfPackages(CORE_ROOMS).and().resideOutsideOfPackage("dev.rollback")
        .should().dependOnClassesThat().resideInAPackage("dev.rollback.internal..")
        .because("dev.rollback.internal is core's implementation; modules build on core's public rooms and its SPI")
        .check(MAIN);
  }

  @Test
  void noModuleUsesAnotherModulesInternals() {
    for (String root : MODULES.subList(1, MODULES.size())) {
      String[] others = MODULES.stream().skip(1).filter(m -> !m.equals(root)).map(m -> m + ".internal..").toArray(String[]::new);
      noClasses().that().resideInAPackage(root + "..")
          .should().dependOnClassesThat().resideInAnyPackage(others)
          .because("a module's internal package is its own")
          .check(MAIN);
    }
  }

  @Test
  void modulesDependOnNoOtherModule() {
    for (String root : MODULES.subList(1, MODULES.size())) {
      if (root.equals("dev.rollback.test")) continue; // the test kit is a module's test dependency, never a main one
      if (ASSEMBLIES.contains(root)) continue;
      String[] others = MODULES.stream().skip(1).filter(m -> !m.equals(root)).map(m -> m + "..").toArray(String[]::new);
      noClasses().that().resideInAPackage(root + "..")
          .should().dependOnClassesThat().resideInAnyPackage(others)
          .because("modules depend on rollback-core and never on each other")
          .check(MAIN);
    }
  }
}
