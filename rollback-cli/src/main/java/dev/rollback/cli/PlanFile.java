package dev.rollback.cli;

import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.cli.internal.Compiled;
import dev.rollback.cli.internal.Writer;
import dev.rollback.spi.Redactor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A loaded plan file: a {@link RollbackPlan}, a {@link Release} or a {@link Fleet}, with what the
 * file says about its steps and triggers (for runbooks), and the document itself, which
 * {@link #toYaml()} and {@link #toJson()} write back (templates filled in). Opened targets are
 * closed by {@link #close()}.
 */
public final class PlanFile implements AutoCloseable {
  private final Compiled compiled;
  private final Fleet fleet;
  private final Redactor redactor;

  PlanFile(Compiled compiled) {
    this(compiled, Redactor.none());
  }

  PlanFile(Compiled compiled, Redactor redactor) {
    this.compiled = compiled;
    this.redactor = redactor;
    this.fleet = compiled.fleet() == null ? null : new Fleet(compiled.name(), compiled.fleet());
  }

  /** {@code RollbackPlan}, {@code Release}, {@code Fleet}, {@code RollbackPlanTemplate}, {@code ReleaseTemplate} or {@code Targets}. */
  public String kind() { return compiled.kind(); }

  /** {@code metadata.name}. */
  public String name() { return compiled.name(); }

  /** The file it was read from, as given. */
  public String file() { return compiled.file(); }

  /** The plan of a {@code kind: RollbackPlan} file. */
  public RollbackPlan rollbackPlan() {
    if (compiled.plan() == null) throw new IllegalStateException(file() + " is a " + kind() + ", not a RollbackPlan");
    return compiled.plan();
  }

  /** The release of a {@code kind: Release} file. */
  public Release release() {
    if (compiled.release() == null) throw new IllegalStateException(file() + " is a " + kind() + ", not a Release");
    return compiled.release();
  }

  /** The fleet of a {@code kind: Fleet} file. */
  public Fleet fleet() {
    if (fleet == null) throw new IllegalStateException(file() + " is a " + kind() + ", not a Fleet");
    return fleet;
  }

  /** The fingerprint of the plan or release (what a resume compares); empty for other kinds. */
  public String fingerprint() {
    if (compiled.plan() != null) return compiled.plan().fingerprint();
    if (compiled.release() != null) return compiled.release().fingerprint();
    return "";
  }

  /** {@code spec.deployment}: the service and version; the plan's name and "unspecified" when not given. */
  public Optional<Deployment> deployment() { return Optional.ofNullable(compiled.deployment()); }

  public Optional<Duration> budget() { return Optional.ofNullable(compiled.budget()); }

  /** The steps (or a release's changes and reverts), in order. */
  public List<StepInfo> steps() { return compiled.steps(); }

  public List<TriggerInfo> triggers() { return compiled.triggers(); }

  /** The declared checks, by name, each with its sentence. */
  public Map<String, String> checks() { return compiled.checks(); }

  /** {@code spec.journal.dir}, resolved. */
  public Optional<Path> journalDir() { return Optional.ofNullable(compiled.journalDir()); }

  /** The directory the file's relative paths are resolved against: its own, unless its metadata names another. */
  public Path baseDirectory() { return compiled.baseDir(); }

  /** What could not be checked (a secret whose variable is not set, when loaded without secrets). */
  public List<String> notes() { return compiled.notes(); }

  /** The document as YAML; loading it gives the same plan (same fingerprint). */
  public String toYaml() { return Writer.yaml(compiled.document()); }

  /** The document as JSON; loading it gives the same plan (same fingerprint). */
  public String toJson() { return Writer.json(compiled.document()); }

  Compiled compiled() { return compiled; }

  /**
   * Hides every value the file's {@code secretRef}s resolved to, and the sensitive fragments of
   * each (a webhook URL's token, a password in a URL): the {@code rollback} command passes
   * everything it prints, its log lines included, through it.
   */
  public Redactor redactor() { return redactor; }

  /** Closes the targets the plan opened (clients of clusters, daemons, databases). */
  @Override
  public void close() {
    for (AutoCloseable c : compiled.closeables()) {
      try {
        c.close();
      } catch (Exception e) {
        // a client that fails to close holds nothing of the plan's
      }
    }
    if (fleet != null) fleet.services().forEach(s -> s.plan().close());
  }

  @Override
  public String toString() {
    return "PlanFile[" + kind() + " " + name() + " from " + file() + "]";
  }
}
