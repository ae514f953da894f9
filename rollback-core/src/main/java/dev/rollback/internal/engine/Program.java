package dev.rollback.internal.engine;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.Gate;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RunMode;
import dev.rollback.SnapshotCapture;
import dev.rollback.Soak;
import dev.rollback.Stage;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.Trigger;
import dev.rollback.journal.JournalEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * What a run executes: a {@link RollbackPlan} and a {@link Release} both compile into one of
 * these, so the executor has one path. A program is a list of forward elements (stages of units,
 * health gates, bakes, trigger watches); a failure policy for forward units; a compensation for
 * each unit (a plan step's undo, a change's revert) run in reverse order when the program is
 * abandoned or reverted; and the checks that define "recovered".
 *
 * @param journalMode "rollback" or "release", as journaled (format 1)
 * @param captureKnownGoodAtStart capture the known-good state when the run starts (a release),
 *     rather than before (a guard capturing it when it is armed)
 * @param onFailure what a forward unit's final failure does
 * @param compensateStarted compensate every unit that started (a change counts as applied once
 *     its apply starts) rather than only those that succeeded (an abandoned rollback undoes what it did)
 * @param compensating the journal event that says compensation started, with its reason
 * @param verifyAfterForward verify after the forward elements (a rollback); otherwise the forward
 *     elements' success is the outcome (a release: RELEASED)
 * @param verifyAfterCompensation verify after compensating (a reverted release is RECOVERED or
 *     NOT_RECOVERED); otherwise compensation ends ABANDONED
 * @param announceStart notify ROLLBACK_TRIGGERED when the run starts (a rollback is the reaction)
 * @param soak how long recovery is watched after a RECOVERED verification, if at all
 * @param warnings what validation found questionable (logged and journaled when a run starts)
 * @param units every forward unit, in order (the blocks' units, flattened)
 */
public record Program(
    String name,
    RunMode mode,
    String journalMode,
    Deployment deployment,
    String fingerprint,
    List<String> outline,
    CommunicationPlan communication,
    Optional<Duration> budget,
    Map<String, SnapshotCapture> knownGoodCaptures,
    boolean captureKnownGoodAtStart,
    List<Element> forward,
    List<Trigger> triggers,
    OnFailure onFailure,
    Gate abandonGate,
    FailurePolicy compensationPolicy,
    boolean compensateStarted,
    Function<String, JournalEvent.Known> compensating,
    List<HealthCheck> verifiedBy,
    boolean verifyAfterForward,
    boolean verifyAfterCompensation,
    boolean announceStart,
    Texts texts,
    Optional<Soak> soak,
    List<String> warnings,
    List<Unit> units) {

  /** What a forward unit's final failure does. */
  public enum OnFailure {
    /** A human decides at a STEP_FAILED gate: RETRY, SKIP or HALT. */
    ASK,
    /** Record it and go on. */
    CONTINUE,
    /** A human approves at the abandon gate, then every completed unit is compensated. */
    ABANDON,
    /** Compensate every unit that started, at once. */
    REVERT
  }

  /** Sentences that differ by what is run. */
  public record Texts(String noun, String forwardDone, String compensationName, String compensatedPrefix,
      String compensationGateName, String compensationQuestion) {}

  public sealed interface Element {}

  /**
   * Units run one after another or in parallel. A plan's stage is journaled (STAGE_STARTED); a
   * release's change is a stage of one unit that is not.
   */
  public record Block(String name, boolean parallel, boolean journaled, List<Unit> units) implements Element {
    public Block {
      units = List.copyOf(units);
    }
  }

  /** Wait until {@code check} is UP, at most {@code within}, evaluating the triggers at each poll. */
  public record HealthGate(String name, HealthCheck check, Duration within, Duration interval) implements Element {}

  /** Evaluate the triggers every {@code interval} for {@code duration}. */
  public record Bake(String name, Duration duration, Duration interval) implements Element {}

  /** Evaluate the triggers once. */
  public record Watch(String where) implements Element {}

  /**
   * One step at its path. {@code knownGoodKey} names the known-good snapshot it reads,
   * {@code undoKey} the step whose undo snapshot it reads (its own, or the forward step it compensates);
   * {@code label} names it in messages ("step 'restore/db'", "change 'schema'").
   */
  public record Unit(Step step, String path, String knownGoodKey, String undoKey, String label,
      @Nullable Unit compensation, @Nullable String notRevertible) {
    public Unit(Step step, String path, String knownGoodKey, String undoKey, String label, @Nullable Unit compensation) {
      this(step, path, knownGoodKey, undoKey, label, compensation, null);
    }
  }

  /** Every forward unit of {@code forward}, in order. */
  private static List<Unit> units(List<Element> forward) {
    List<Unit> out = new ArrayList<>();
    for (Element e : forward) if (e instanceof Block b) out.addAll(b.units());
    return List.copyOf(out);
  }

  /** What a plan compiles to, whatever the deployment: the same for every run of the plan. */
  private record Compiled(RollbackPlan plan, List<Element> forward, Map<String, SnapshotCapture> captures,
      List<Unit> units) {}

  /**
   * The last plan compiled. A plan is immutable, so its program's elements are built once for the
   * runs that follow (a guard, or a fleet, runs one plan again and again; a 1,000-step plan is
   * 2,000 objects per compile).
   */
  private static volatile @Nullable Compiled lastCompiled;

  /** The program of a rollback plan. */
  public static Program of(RollbackPlan plan, Deployment deployment) {
    Compiled c = lastCompiled;
    if (c == null || c.plan != plan) {
      c = compile(plan);
      lastCompiled = c;
    }
    OnFailure onFailure = switch (plan.failurePolicy()) {
      case HALT_AND_ASK -> OnFailure.ASK;
      case CONTINUE -> OnFailure.CONTINUE;
      case ABANDON -> OnFailure.ABANDON;
    };
    return new Program(plan.name(), RunMode.ROLLBACK, "rollback", deployment, plan.fingerprint(),
        plan.outline(), plan.communication(), plan.budget(), c.captures, false, c.forward, List.of(), onFailure,
        plan.abandonGate(), FailurePolicy.HALT_AND_ASK, false, JournalEvent.Abandoning::new, plan.verifiedBy(), true,
        false, true, PLAN_TEXTS, plan.soak(), plan.warnings(), c.units);
  }

  private static final Texts PLAN_TEXTS = new Texts("Plan", "rolled back", "undo", "rollback abandoned: ", "undo failed",
      "RETRY runs it again, SKIP goes on with the next undo, HALT stops here.");

  private static Compiled compile(RollbackPlan plan) {
    List<Element> forward = new ArrayList<>();
    Map<String, SnapshotCapture> captures = new LinkedHashMap<>();
    for (Stage st : plan.stages()) {
      List<Unit> units = new ArrayList<>();
      for (Step s : st.steps()) {
        String path = st.name() + "/" + s.name();
        s.knownGoodCapture().ifPresent(c -> captures.put(path, c));
        Unit undo = null;
        if (s.undo().isPresent()) {
          Step u = Step.builder("undo").execute(s.undo().get()).withRetry(s.retry()).build();
          if (s.timeout().isPresent()) u = u.withTimeout(s.timeout().get());
          if (s.isIdempotent()) u = u.withIdempotent();
          undo = new Unit(u, path + "/undo", path, path, "undo of step '" + path + "'", null);
        }
        units.add(new Unit(s, path, path, path, "step '" + path + "'", undo));
      }
      forward.add(new Block(st.name(), st.parallel() && st.steps().size() > 1, true, units));
    }
    List<Element> elements = List.copyOf(forward);
    return new Compiled(plan, elements, Collections.unmodifiableMap(captures), units(elements));
  }

  /** The program of a release. */
  public static Program of(Release release, Deployment deployment) {
    List<Element> forward = new ArrayList<>();
    Map<String, SnapshotCapture> captures = new LinkedHashMap<>();
    for (Release.Element e : release.elements()) {
      if (e instanceof Release.ChangeElement ce) {
        Change c = ce.change();
        c.knownGoodCapture().ifPresent(k -> captures.put(c.name(), k));
        String apply = c.name() + "/apply";
        Unit revert = new Unit(c.revert(), c.name() + "/revert", c.name(), apply, "revert of change '" + c.name() + "'", null);
        forward.add(new Block(c.name(), false, false,
            List.of(new Unit(c.apply(), apply, c.name(), apply, "change '" + c.name() + "'", revert,
                c.notSafelyRevertibleBecause().orElse(null)))));
        forward.add(new Watch("after change '" + c.name() + "'"));
      } else if (e instanceof Release.HealthGate g) {
        forward.add(new HealthGate(g.name(), g.check(), g.within(), g.interval()));
      } else if (e instanceof Release.Bake b) {
        forward.add(new Bake(b.name(), b.duration(), b.interval()));
      }
    }
    int changes = release.changes().size();
    return new Program(release.name(), RunMode.RELEASE, "release", deployment, release.fingerprint(),
        release.outline(), release.communication(), release.budget(), captures, true, forward,
        release.triggers(), OnFailure.REVERT, Gate.named("abandon rollback"), release.revertFailurePolicy(), true,
        JournalEvent.ReleaseReverting::new, release.verifiedBy(), false, true, false,
        new Texts("Release", "all " + changes + " change" + (changes == 1 ? "" : "s") + " applied and healthy", "revert",
            "release reverted", "revert failed",
            "RETRY runs it again, SKIP goes on with the next revert, HALT stops here."), release.soak(), List.of(),
        units(forward));
  }
}
