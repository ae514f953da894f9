package dev.rollback.cli;

import dev.rollback.cli.internal.Compiled;
import dev.rollback.cli.internal.Compiler;
import dev.rollback.cli.internal.Ctx;
import dev.rollback.cli.internal.Node;
import dev.rollback.cli.internal.Registry;
import dev.rollback.cli.internal.YamlReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Loads plan files: YAML or JSON documents in the Kubernetes resource style
 * ({@code apiVersion: rollback.dev/v1alpha1}, {@code kind}, {@code metadata}, {@code spec}) that
 * become a {@link dev.rollback.RollbackPlan}, a {@link dev.rollback.Release} or a {@link Fleet}.
 * The step and target types are the ones registered on the class path (see
 * {@link dev.rollback.spi.StepType}).
 *
 * <pre>{@code
 * try (PlanFile file = Plans.load(Path.of("checkout-rollback.yaml"))) {
 *   RollbackResult result = engine.run(file.rollbackPlan(), file.deployment().orElseThrow());
 * }
 * }</pre>
 *
 * A file with problems throws a {@link PlanFileException} listing every one of them, each with
 * its file, line, column and path in the document.
 */
public final class Plans {
  private Plans() {}

  /** Loads {@code file}, resolving its secrets from the environment. */
  public static PlanFile load(Path file) {
    return loader().load(file);
  }

  /** A loader to configure: secrets from a given environment, stand-ins for missing secrets, other targets. */
  public static Loader loader() {
    return new Loader(System.getenv(), false, Map.of());
  }

  /** Configures how plan files are loaded. Immutable; {@code with*} returns a copy. */
  public static final class Loader {
    private final Map<String, String> env;
    private final boolean standIns;
    private final Map<String, Node> targets;

    private Loader(Map<String, String> env, boolean standIns, Map<String, Node> targets) {
      this.env = env;
      this.standIns = standIns;
      this.targets = targets;
    }

    /** Secrets referenced with {@code secretRef: {env: NAME}} are read from {@code env}. */
    public Loader withEnvironment(Map<String, String> env) {
      return new Loader(Map.copyOf(Objects.requireNonNull(env, "env")), standIns, targets);
    }

    /**
     * Secrets that cannot be read are replaced by a stand-in and listed in {@link PlanFile#notes()}
     * instead of being problems: for validating and outlining a plan where its secrets are not
     * available. Never run a plan loaded this way.
     */
    public Loader withoutSecrets() {
      return new Loader(env, true, targets);
    }

    /**
     * The targets declared in {@code targetsFile} (a {@code kind: Targets} document) replace the
     * plan's targets of the same names: a drill against staging.
     */
    public Loader withTargets(Path targetsFile) {
      String text;
      try {
        text = Files.readString(targetsFile, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new PlanFileException(List.of(new Problem(targetsFile.toString(), 0, 0, "", "cannot read the file: " + e)));
      }
      YamlReader.Parsed p = YamlReader.parse(text, targetsFile.toString());
      if (!p.problems().isEmpty()) throw new PlanFileException(p.problems());
      Node root = p.root().orElseThrow();
      if (!(root instanceof Node.MapNode m) || !(m.get("kind") instanceof Node.Scalar k) || !k.text().equals("Targets")) {
        throw new PlanFileException(List.of(new Problem(targetsFile.toString(), 1, 1, "kind", "must be kind: Targets")));
      }
      Map<String, Node> t = new HashMap<>(targets);
      t.putAll(Compiler.targetDeclarations(m));
      return new Loader(env, standIns, Map.copyOf(t));
    }

    public PlanFile load(Path file) {
      List<Problem> problems = new ArrayList<>();
      Compiler compiler = compiler();
      Compiled c = compiler.load(file, problems);
      return result(c, problems, compiler);
    }

    /** Loads a document given as text; {@code fileName} names it in problems, {@code baseDir} resolves its relative paths. */
    public PlanFile parse(String text, String fileName, Path baseDir) {
      List<Problem> problems = new ArrayList<>();
      Compiler compiler = compiler();
      Compiled c = compiler.parse(text, fileName, baseDir.toAbsolutePath(), problems);
      return result(c, problems, compiler);
    }

    private Compiler compiler() {
      return new Compiler(Registry.get(), env, standIns ? Ctx.SecretMode.STAND_IN : Ctx.SecretMode.RESOLVE, targets);
    }

    private static PlanFile result(Compiled c, List<Problem> problems, Compiler compiler) {
      if (!problems.isEmpty() || c == null) {
        if (c != null) new PlanFile(c).close();
        if (problems.isEmpty()) problems.add(new Problem("?", 0, 0, "", "the document could not be loaded"));
        throw new PlanFileException(problems);
      }
      return new PlanFile(c, compiler.redactor());
    }
  }
}
