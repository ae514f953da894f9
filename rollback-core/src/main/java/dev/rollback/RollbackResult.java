package dev.rollback;

import dev.rollback.detect.Health;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * How a run ended: the outcome, each step's outcome in plan order, the verification results, and
 * the problems met on the way (a repaired journal, a notifier that failed). Operational failures
 * are results, not exceptions; {@link #orThrow()} turns a failure into a {@link RollbackFailedException}.
 */
public final class RollbackResult {
  private final String runId;
  private final String plan;
  private final Deployment deployment;
  private final RunMode mode;
  private final RunOutcome outcome;
  private final Map<String, StepOutcome> steps;
  private final List<Health> verification;
  private final List<String> problems;
  private final @Nullable GateRequest haltedAt;
  private final Instant startedAt;
  private final Instant finishedAt;
  private final String summary;
  private final boolean verified;

  public RollbackResult(String runId, String plan, Deployment deployment, RunMode mode, RunOutcome outcome,
      Map<String, StepOutcome> steps, List<Health> verification, List<String> problems,
      @Nullable GateRequest haltedAt, Instant startedAt, Instant finishedAt, String summary) {
    this(runId, plan, deployment, mode, outcome, steps, verification, problems, haltedAt, startedAt, finishedAt, summary, true);
  }

  /** With {@code verified} false for a RECOVERED run that nothing verified (see {@link #isVerified()}). */
  public RollbackResult(String runId, String plan, Deployment deployment, RunMode mode, RunOutcome outcome,
      Map<String, StepOutcome> steps, List<Health> verification, List<String> problems,
      @Nullable GateRequest haltedAt, Instant startedAt, Instant finishedAt, String summary, boolean verified) {
    this.runId = runId;
    this.plan = plan;
    this.deployment = deployment;
    this.mode = mode;
    this.outcome = outcome;
    this.steps = Collections.unmodifiableMap(new LinkedHashMap<>(steps));
    this.verification = List.copyOf(verification);
    this.problems = List.copyOf(problems);
    this.haltedAt = haltedAt;
    this.startedAt = startedAt;
    this.finishedAt = finishedAt;
    this.summary = summary;
    this.verified = verified;
  }

  public String runId() { return runId; }
  public String plan() { return plan; }
  public Deployment deployment() { return deployment; }
  public RunMode mode() { return mode; }
  public RunOutcome outcome() { return outcome; }
  /** Each step's outcome, by step path, in plan order. */
  public Map<String, StepOutcome> steps() { return steps; }
  public List<Health> verification() { return verification; }
  public List<String> problems() { return problems; }
  /** The gate the run halted at, if it halted at one. */
  public Optional<GateRequest> haltedAt() { return Optional.ofNullable(haltedAt); }
  public Instant startedAt() { return startedAt; }
  public Instant finishedAt() { return finishedAt; }
  public Duration elapsed() { return Duration.between(startedAt, finishedAt); }
  /** One sentence saying what happened and why. */
  public String summary() { return summary; }

  public StepOutcome step(String path) {
    StepOutcome o = steps.get(path);
    if (o == null) throw new IllegalArgumentException("run " + runId + " has no step '" + path + "'; steps: " + steps.keySet());
    return o;
  }

  public boolean isSuccess() {
    return outcome.isSuccess();
  }

  /**
   * False when the run ended RECOVERED although nothing defines "recovered" for its plan (no
   * {@code verifiedBy} check, no soak): its steps completed, which is all that is known. Reports
   * say "not verified" then. True for every other result.
   */
  public boolean isVerified() {
    return verified;
  }

  /** This result if it is a success, else a {@link RollbackFailedException} carrying it. */
  public RollbackResult orThrow() {
    if (!isSuccess()) throw new RollbackFailedException(this);
    return this;
  }

  @Override
  public String toString() {
    return "RollbackResult[" + plan + " run " + runId + ": " + outcome + (verified ? "" : " (not verified)") + " in " + elapsed().toMillis() + " ms — " + summary + "]";
  }
}
