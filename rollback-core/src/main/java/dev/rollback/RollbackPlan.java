package dev.rollback;

import dev.rollback.communication.CommunicationPlan;
import dev.rollback.detect.HealthCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * An immutable, named, validated recovery procedure for a deployment that is already out:
 * ordered stages of steps, the checks that define "recovered", the failure policy, a time budget
 * and the communication plan.
 *
 * <pre>{@code
 * RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
 *     .parallel("stop the bleeding", s -> s.step(killSwitch).step(trafficToBlue))
 *     .sequential("restore", s -> s.step(undoRollout).step(migrateDown))
 *     .verifiedBy(health)
 *     .withBudget(ofMinutes(5))
 *     .build();
 * }</pre>
 */
public final class RollbackPlan {
  private final String name;
  private final List<Stage> stages;
  private final List<HealthCheck> verifiedBy;
  private final FailurePolicy failurePolicy;
  private final @Nullable Duration budget;
  private final Gate abandonGate;
  private final CommunicationPlan communication;
  private final @Nullable Soak soak;
  private final List<String> warnings;
  private final List<String> outline;
  private final String fingerprint;

  private RollbackPlan(Builder b, List<String> warnings) {
    this.name = b.name;
    this.stages = List.copyOf(b.stages);
    this.verifiedBy = List.copyOf(b.verifiedBy);
    this.failurePolicy = b.failurePolicy;
    this.budget = b.budget;
    this.abandonGate = b.abandonGate;
    this.communication = b.communication;
    this.soak = b.soak;
    this.warnings = List.copyOf(warnings);
    this.outline = Outlines.outline(this);
    this.fingerprint = Outlines.sha256(outline);
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() { return name; }
  public List<Stage> stages() { return stages; }
  public List<HealthCheck> verifiedBy() { return verifiedBy; }
  public FailurePolicy failurePolicy() { return failurePolicy; }
  public Optional<Duration> budget() { return Optional.ofNullable(budget); }
  /** The gate an ABANDON passes through. */
  public Gate abandonGate() { return abandonGate; }
  public CommunicationPlan communication() { return communication; }

  /** How long recovery is watched after the last step, if the plan says so ({@link Builder#soakFor}). */
  public Optional<Soak> soak() { return Optional.ofNullable(soak); }

  /**
   * What {@link Builder#build()} found questionable without refusing the plan, each with its path:
   * a plan with nothing that defines "recovered" (no {@code verifiedBy} check and no soak) ends
   * RECOVERED but <em>not verified</em>, and its reports say so. The engine logs and journals them
   * when a run starts.
   */
  public List<String> warnings() { return warnings; }

  /** A hash of everything that shapes the run; resume refuses a plan whose fingerprint changed. */
  public String fingerprint() { return fingerprint; }

  /**
   * Everything that shapes a run, one line per element (the fingerprint is its hash); journaled
   * when a run starts, so a resume refused for a changed plan shows what changed.
   */
  public List<String> outline() { return outline; }

  /** Every step, in plan order. */
  public List<Step> steps() {
    List<Step> all = new ArrayList<>();
    stages.forEach(s -> all.addAll(s.steps()));
    return List.copyOf(all);
  }

  /** The longest the plan's steps can take, one stage after another (a parallel stage: its slowest step). */
  public WorstCase worstCase() {
    Duration total = Duration.ZERO;
    List<String> unbounded = new ArrayList<>();
    for (Stage st : stages) {
      Duration stage = Duration.ZERO;
      for (Step s : st.steps()) {
        Optional<Duration> w = s.worstCase();
        if (w.isEmpty()) {
          unbounded.add(st.name() + "/" + s.name());
        } else if (st.parallel()) {
          if (w.get().compareTo(stage) > 0) stage = w.get();
        } else {
          stage = stage.plus(w.get());
        }
      }
      total = total.plus(stage);
    }
    return new WorstCase(total, unbounded);
  }

  /**
   * Each step's path, in plan order: {@code <stage>/<step>}, and {@code <stage>/<step>/undo} for
   * the undo an abandoned rollback runs. These name the steps in results
   * ({@code result.step(path)}), journals, reports, gates and {@code ctx.stepPath()}.
   */
  public List<String> stepPaths() {
    List<String> paths = new ArrayList<>();
    for (Stage st : stages) for (Step s : st.steps()) paths.add(st.name() + "/" + s.name());
    return List.copyOf(paths);
  }

  /** True if any step may kill the process running the plan. */
  public boolean mayTerminateHost() {
    return steps().stream().anyMatch(Step::mayTerminateHost);
  }

  @Override
  public String toString() {
    return "RollbackPlan[" + name + ", " + stages.size() + " stages, " + steps().size() + " steps]";
  }

  /** Builds a {@link RollbackPlan}; {@link #build()} reports every violation with its path. */
  public static final class Builder {
    private final String name;
    private final List<Stage> stages = new ArrayList<>();
    private final List<HealthCheck> verifiedBy = new ArrayList<>();
    private FailurePolicy failurePolicy = FailurePolicy.HALT_AND_ASK;
    private @Nullable Duration budget;
    private Gate abandonGate = Gate.named("abandon rollback");
    private CommunicationPlan communication = CommunicationPlan.none();
    private @Nullable Soak soak;

    private Builder(String name) {
      Objects.requireNonNull(name, "plan name");
      this.name = name;
    }

    /** A stage whose steps run one after another, in the order given. */
    public Builder sequential(String stageName, Consumer<StageBuilder> steps) {
      return stage(stageName, false, steps);
    }

    /** A stage whose steps run at the same time; if one fails, the others are cancelled. */
    public Builder parallel(String stageName, Consumer<StageBuilder> steps) {
      return stage(stageName, true, steps);
    }

    /** A one-step sequential stage named after the step. */
    public Builder step(Step step) {
      Objects.requireNonNull(step, "step");
      stages.add(new Stage(step.name(), false, List.of(step)));
      return this;
    }

    private Builder stage(String stageName, boolean parallel, Consumer<StageBuilder> steps) {
      Objects.requireNonNull(stageName, "stage name");
      Objects.requireNonNull(steps, "steps");
      StageBuilder sb = new StageBuilder();
      steps.accept(sb);
      stages.add(new Stage(stageName, parallel, sb.steps));
      return this;
    }

    /** The checks that define "recovered", run after the last stage. */
    public Builder verifiedBy(HealthCheck... checks) {
      for (HealthCheck c : checks) verifiedBy.add(Objects.requireNonNull(c, "check"));
      return this;
    }

    /** What a step's final failure does: HALT_AND_ASK (default), CONTINUE or ABANDON. */
    public Builder withFailurePolicy(FailurePolicy policy) {
      this.failurePolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The gate that an {@link FailurePolicy#ABANDON} waits at. */
    public Builder withAbandonGate(Gate gate) {
      this.abandonGate = Objects.requireNonNull(gate, "gate");
      return this;
    }

    /** How long the rollback should take; a breach is journaled and escalated, never an abort. */
    public Builder withBudget(Duration budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    public Builder withCommunication(CommunicationPlan communication) {
      this.communication = Objects.requireNonNull(communication, "communication");
      return this;
    }

    /**
     * After the last step, keep watching for {@code window}: the {@code verifiedBy} checks (and the
     * triggers of the guard that runs the plan) are evaluated every 10 seconds unless
     * {@link #checkingEvery} says otherwise; a check that is not UP or a trigger that says ROLL_BACK
     * makes the run NOT_RECOVERED and asks the HUMAN_NEEDED audience, with the evidence.
     */
    public Builder soakFor(Duration window) {
      this.soak = Soak.of(Objects.requireNonNull(window, "window"));
      return this;
    }

    /** How often the soak just configured checks: {@code .soakFor(ofMinutes(10)).checkingEvery(ofSeconds(15))}. */
    public Builder checkingEvery(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (soak == null) {
        throw new IllegalStateException("checkingEvery(" + interval + ") of plan '" + name + "' must follow soakFor(window)");
      }
      this.soak = new Soak(soak.window(), interval);
      return this;
    }

    /**
     * Validates and builds. Throws {@link PlanValidationException} listing every violation, each
     * with its path ({@code plan 'checkout' › stage 'restore' › step 'db': timeout must be positive: PT-1S}).
     */
    public RollbackPlan build() {
      List<String> violations = new ArrayList<>();
      String planPath = "plan '" + name + "'";
      if (name.isBlank()) violations.add(planPath + ": name must not be blank");
      if (stages.isEmpty()) violations.add(planPath + ": has no stages");
      if (budget != null && (budget.isNegative() || budget.isZero())) {
        violations.add(planPath + ": budget must be positive: " + budget);
      }
      Set<String> stageNames = new HashSet<>();
      for (Stage stage : stages) {
        String stagePath = planPath + " › stage '" + stage.name() + "'";
        if (stage.name().isBlank()) violations.add(stagePath + ": name must not be blank");
        if (stage.name().contains("/")) violations.add(stagePath + ": name must not contain '/'");
        if (!stageNames.add(stage.name())) violations.add(stagePath + ": stage name is used twice");
        if (stage.steps().isEmpty()) violations.add(stagePath + ": has no steps");
        Set<String> stepNames = new HashSet<>();
        for (Step step : stage.steps()) {
          String stepPath = stagePath + " › step '" + step.name() + "'";
          if (!stepNames.add(step.name())) violations.add(stepPath + ": step name is used twice in this stage");
          if (step.name().contains("/")) violations.add(stepPath + ": name must not contain '/'");
          for (String p : step.problems()) violations.add(stepPath + ": " + p);
          if (failurePolicy == FailurePolicy.ABANDON && !step.hasUndo()) {
            violations.add(stepPath + ": has no undo, but the plan's failure policy ABANDON undoes every completed step");
          }
        }
      }
      if (soak != null) for (String p : soak.problems()) violations.add(planPath + ": " + p);
      if (!violations.isEmpty()) throw new PlanValidationException(name, violations);
      List<String> warnings = new ArrayList<>();
      if (verifiedBy.isEmpty() && soak == null) {
        warnings.add(planPath + ": nothing defines \"recovered\" (no verifiedBy check, no soak): a run that completes"
            + " its steps ends RECOVERED but not verified, and its reports say \"not verified\"; add verifiedBy(...) or"
            + " soakFor(...)");
      }
      return new RollbackPlan(this, warnings);
    }
  }
}
