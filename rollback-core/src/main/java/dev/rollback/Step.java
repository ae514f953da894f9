package dev.rollback;

import dev.rollback.detect.HealthCheck;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * One named action of a plan: what it does ({@link Builder#execute}), and optionally how to undo
 * it, how to observe whether it already took effect, and how to capture the state it restores.
 *
 * <p>Immutable. The {@code with*} methods return a changed copy, so a step made by a module
 * ({@code Migrations.rollbackTo(...)}) can be refined in the plan
 * ({@code .withTimeout(ofMinutes(2)).withApproval(Gate.named("dba"))}).
 */
public final class Step {
  private final String name;
  private final StepAction action;
  private final @Nullable StepAction undo;
  private final @Nullable Reconciler reconciler;
  private final @Nullable SnapshotCapture knownGoodCapture;
  private final @Nullable SnapshotCapture undoCapture;
  private final List<HealthCheck> verifiedBy;
  private final @Nullable Duration timeout;
  private final Retry retry;
  private final boolean idempotent;
  private final boolean mayTerminateHost;
  private final @Nullable Gate approval;
  private final String description;

  private Step(Builder b) {
    this.name = b.name;
    this.action = Objects.requireNonNull(b.action, () -> "step '" + b.name + "' has no execute action");
    this.undo = b.undo;
    this.reconciler = b.reconciler;
    this.knownGoodCapture = b.knownGoodCapture;
    this.undoCapture = b.undoCapture;
    this.verifiedBy = List.copyOf(b.verifiedBy);
    this.timeout = b.timeout;
    this.retry = b.retry;
    this.idempotent = b.idempotent;
    this.mayTerminateHost = b.mayTerminateHost;
    this.approval = b.approval;
    this.description = b.description != null ? b.description : name;
  }

  /** Starts a step called {@code name}; {@link Builder#execute} is required. */
  public static Builder builder(String name) {
    return new Builder(name);
  }

  /** A step that runs {@code action}, described by its name. */
  public static Step of(String name, StepAction action) {
    return builder(name).execute(action).build();
  }

  public String name() { return name; }
  public StepAction action() { return action; }
  public Optional<StepAction> undo() { return Optional.ofNullable(undo); }
  public Optional<Reconciler> reconciler() { return Optional.ofNullable(reconciler); }
  public Optional<SnapshotCapture> knownGoodCapture() { return Optional.ofNullable(knownGoodCapture); }
  public Optional<SnapshotCapture> undoCapture() { return Optional.ofNullable(undoCapture); }
  public List<HealthCheck> verifiedBy() { return verifiedBy; }
  /** The timeout of one attempt; empty when none was set. */
  public Optional<Duration> timeout() { return Optional.ofNullable(timeout); }
  public Retry retry() { return retry; }
  public boolean isIdempotent() { return idempotent; }
  public boolean mayTerminateHost() { return mayTerminateHost; }
  public Optional<Gate> approval() { return Optional.ofNullable(approval); }
  /** The sentence dry-runs, reports and notifications use for this step. */
  public String describe() { return description; }
  public boolean hasUndo() { return undo != null; }

  /** The longest this step can take: timeout × attempts plus the retry delays; empty without a timeout. */
  public Optional<Duration> worstCase() {
    return timeout().map(t -> t.multipliedBy(retry.maxAttempts()).plus(retry.worstCaseDelay()));
  }

  /** What is wrong with this step's settings, for plan validation; empty when valid. */
  List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (timeout != null && (timeout.isNegative() || timeout.isZero())) {
      problems.add("timeout must be positive: " + timeout);
    }
    if (mayTerminateHost && !idempotent && reconciler == null) {
      problems.add("a step that may terminate its host must be idempotent or reconcilable, "
          + "because the replica that resumes it cannot know whether it ran");
    }
    return problems;
  }

  public Step withTimeout(Duration timeout) { return toBuilder().withTimeout(timeout).build(); }
  public Step withRetry(Retry retry) { return toBuilder().withRetry(retry).build(); }
  public Step withApproval(Gate gate) { return toBuilder().withApproval(gate).build(); }
  /** A copy that must also pass {@code checks} after its action. */
  public Step withVerifiedBy(HealthCheck... checks) { return toBuilder().verifiedBy(checks).build(); }
  /** A copy declared idempotent: running it twice has the effect of running it once. */
  public Step withIdempotent() { return toBuilder().idempotent().build(); }
  public Step withMayTerminateHost() { return toBuilder().mayTerminateHost().build(); }
  /** A copy described by {@code sentence} in dry runs, reports and notifications. */
  public Step withDescription(String sentence) { return toBuilder().describedAs(sentence).build(); }
  /** A copy called {@code newName} (its description follows the name unless one was given). */
  public Step withName(String newName) {
    Builder b = toBuilder();
    b.name = requireName(newName);
    if (description.equals(name)) b.description = null;
    return b.build();
  }

  /** A builder holding this step's settings. */
  public Builder toBuilder() {
    Builder b = new Builder(name);
    b.action = action;
    b.undo = undo;
    b.reconciler = reconciler;
    b.knownGoodCapture = knownGoodCapture;
    b.undoCapture = undoCapture;
    b.verifiedBy.addAll(verifiedBy);
    b.timeout = timeout;
    b.retry = retry;
    b.idempotent = idempotent;
    b.mayTerminateHost = mayTerminateHost;
    b.approval = approval;
    b.description = description.equals(name) ? null : description;
    return b;
  }

  @Override
  public String toString() {
    return "Step[" + name + "]";
  }

  private static String requireName(String name) {
    Objects.requireNonNull(name, "step name");
    if (name.isBlank()) throw new IllegalArgumentException("step name must not be blank");
    return name;
  }

  /** Builds a {@link Step}. Checks each argument at the call; {@link #build()} checks the whole. */
  public static final class Builder {
    private String name;
    private @Nullable StepAction action;
    private @Nullable StepAction undo;
    private @Nullable Reconciler reconciler;
    private @Nullable SnapshotCapture knownGoodCapture;
    private @Nullable SnapshotCapture undoCapture;
    private final List<HealthCheck> verifiedBy = new ArrayList<>();
    private @Nullable Duration timeout;
    private Retry retry = Retry.none();
    private boolean idempotent;
    private boolean mayTerminateHost;
    private @Nullable Gate approval;
    private @Nullable String description;

    private Builder(String name) {
      this.name = requireName(name);
    }

    /** What the step does. Required. */
    public Builder execute(StepAction action) {
      this.action = Objects.requireNonNull(action, "action");
      return this;
    }

    /** How to undo what {@link #execute} did (used when a rollback is abandoned). */
    public Builder undo(StepAction undo) {
      this.undo = Objects.requireNonNull(undo, "undo");
      return this;
    }

    /** How to observe whether the action already took effect. */
    public Builder reconcile(Reconciler reconciler) {
      this.reconciler = Objects.requireNonNull(reconciler, "reconciler");
      return this;
    }

    /**
     * Captures the known-good state this step restores, when the release starts or the guard is
     * armed. The step reads it back with {@link StepContext#knownGood()}.
     */
    public Builder captureKnownGood(SnapshotCapture capture) {
      this.knownGoodCapture = Objects.requireNonNull(capture, "capture");
      return this;
    }

    /** Captures the state an undo restores, when the step starts; read with {@link StepContext#undoSnapshot()}. */
    public Builder captureForUndo(SnapshotCapture capture) {
      this.undoCapture = Objects.requireNonNull(capture, "capture");
      return this;
    }

    /** Checks that must be UP after the action for the attempt to count as a success. */
    public Builder verifiedBy(HealthCheck... checks) {
      for (HealthCheck c : checks) verifiedBy.add(Objects.requireNonNull(c, "check"));
      return this;
    }

    public Builder verifiedBy(List<HealthCheck> checks) {
      return verifiedBy(checks.toArray(new HealthCheck[0]));
    }

    /** Timeout of one attempt. The attempt's outcome is then unknown (in doubt). */
    public Builder withTimeout(Duration timeout) {
      // Checked when the plan or release is built, so every violation is reported with its path.
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    public Builder withRetry(Retry retry) {
      this.retry = Objects.requireNonNull(retry, "retry");
      return this;
    }

    /** Running the action twice has the same effect as running it once. */
    public Builder idempotent() {
      this.idempotent = true;
      return this;
    }

    /**
     * The action can kill the process that runs the plan (e.g. undoing the workload the guard
     * lives in). A guard then requires a shared durable journal and lease so another replica resumes.
     */
    public Builder mayTerminateHost() {
      this.mayTerminateHost = true;
      return this;
    }

    /** A human must approve at {@code gate} before the step runs. */
    public Builder withApproval(Gate gate) {
      this.approval = Objects.requireNonNull(gate, "gate");
      return this;
    }

    /** The sentence used by dry-run, reports and notifications. Defaults to the name. */
    public Builder describedAs(String sentence) {
      Objects.requireNonNull(sentence, "sentence");
      if (sentence.isBlank()) throw new IllegalArgumentException("description of step '" + name + "' must not be blank");
      this.description = sentence;
      return this;
    }

    public Step build() {
      return new Step(this);
    }
  }

}
