package dev.rollback.test;

import dev.rollback.Deployment;
import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.StepLease;
import dev.rollback.engine.ManualClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StepContext} for calling a step's parts directly — {@code step.action().run(ctx)},
 * its undo, its reconciler, its snapshot captures — outside an engine. It records every note,
 * checkpoint and sleep; {@link #sleep} moves its {@link ManualClock} instead of waiting, so a
 * step that waits an hour returns at once with the clock an hour later.
 *
 * <pre>{@code
 * FakeStepContext ctx = FakeStepContext.builder()
 *     .withStepPath("traffic/restore traffic app")
 *     .withKnownGood(knownGood.toSnapshot())
 *     .build();
 * step.action().run(ctx);
 * assertThat(ctx.notes()).singleElement().asString().contains("now");
 * }</pre>
 *
 * <p>Cancellation: {@link #cancel} cancels it now; {@link Builder#cancelledAfter} cancels it once
 * its clock has moved that far (a sleep across that moment stops there and throws
 * {@link CancellationException}); a sleep across the {@linkplain Builder#withDeadline deadline}
 * stops at the deadline and throws too, as the engine's timeout would.
 */
public final class FakeStepContext implements StepContext {
  private final String runId;
  private final String planName;
  private final String stepPath;
  private final Deployment deployment;
  private final int attempt;
  private final Instant deadline;
  private final ManualClock clock;
  private final @Nullable Snapshot knownGood;
  private final @Nullable Snapshot undoSnapshot;
  private final @Nullable Instant cancelAt;
  private final Map<String, String> checkpoints;
  private final StepLease lease;
  private final List<String> notes = Collections.synchronizedList(new ArrayList<>());
  private final List<Duration> sleeps = Collections.synchronizedList(new ArrayList<>());
  private volatile @Nullable String cancelReason;

  private FakeStepContext(Builder b) {
    this.runId = b.runId;
    this.planName = b.planName;
    this.stepPath = b.stepPath;
    this.deployment = b.deployment;
    this.attempt = b.attempt;
    this.clock = b.clock != null ? b.clock : ManualClock.create();
    this.deadline = b.deadline != null ? b.deadline : b.timeout != null ? clock.instant().plus(b.timeout) : Instant.MAX;
    this.knownGood = b.knownGood;
    this.undoSnapshot = b.undoSnapshot;
    this.cancelAt = b.cancelAfter == null ? null : clock.instant().plus(b.cancelAfter);
    this.checkpoints = Collections.synchronizedMap(new LinkedHashMap<>(b.checkpoints));
    this.lease = b.lease;
  }

  /** A context with the defaults of {@link #builder()}. */
  public static FakeStepContext create() {
    return builder().build();
  }

  /**
   * A builder with: run {@code fake-run}, plan {@code fake-plan}, step {@code stage/step},
   * deployment {@code service@1.0}, attempt 1, no deadline, a new {@link ManualClock}, no
   * snapshots, no checkpoints.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** A builder with this context's settings and its checkpoints so far (e.g. for the next attempt); notes and sleeps start empty. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.runId = runId;
    b.planName = planName;
    b.stepPath = stepPath;
    b.deployment = deployment;
    b.attempt = attempt;
    b.clock = clock;
    b.deadline = deadline.equals(Instant.MAX) ? null : deadline;
    b.knownGood = knownGood;
    b.undoSnapshot = undoSnapshot;
    b.cancelAfter = cancelAt == null ? null : Duration.between(clock.instant(), cancelAt);
    b.checkpoints.putAll(checkpoints());
    b.lease = lease;
    return b;
  }

  @Override public String runId() { return runId; }
  @Override public String planName() { return planName; }
  @Override public String stepPath() { return stepPath; }
  @Override public Deployment deployment() { return deployment; }
  @Override public String idempotencyKey() { return runId + ":" + stepPath; }
  @Override public int attempt() { return attempt; }
  @Override public Instant deadline() { return deadline; }

  /** The clock this context's sleeps move. */
  @Override public ManualClock clock() { return clock; }

  @Override
  public boolean isCancelled() {
    if (cancelReason == null && cancelAt != null && !clock.instant().isBefore(cancelAt)) {
      cancelReason = "cancelled by the test at " + cancelAt;
    }
    return cancelReason != null;
  }

  @Override
  public void checkCancelled() {
    if (isCancelled()) throw new CancellationException("step '" + stepPath + "' cancelled: " + cancelReason);
  }

  /** Cancels this context now: {@link #isCancelled()} is true and the next sleep or check throws. */
  public void cancel(String reason) {
    cancelReason = Objects.requireNonNull(reason, "reason");
  }

  /**
   * Records {@code duration} and moves the clock by it (running the clock's timers due on the
   * way), stopping early at a scheduled cancellation or at the deadline.
   */
  @Override
  public void sleep(Duration duration) {
    Objects.requireNonNull(duration, "duration");
    checkCancelled();
    sleeps.add(duration);
    if (duration.isNegative() || duration.isZero()) return;
    Instant wake = clock.instant().plus(duration);
    Instant stop = wake;
    if (cancelAt != null && cancelAt.isBefore(stop)) stop = cancelAt;
    if (deadline.isBefore(stop)) stop = deadline;
    Instant now = clock.instant();
    if (stop.isAfter(now)) clock.advance(Duration.between(now, stop));
    if (stop.equals(deadline) && stop.isBefore(wake)) {
      cancelReason = "timed out at the deadline " + deadline;
    }
    checkCancelled();
  }

  @Override public Optional<Snapshot> knownGood() { return Optional.ofNullable(knownGood); }
  @Override public Optional<Snapshot> undoSnapshot() { return Optional.ofNullable(undoSnapshot); }

  @Override
  public void checkpoint(String key, String value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    checkpoints.put(key, value);
  }

  /** The checkpoints given to the builder, updated by every {@link #checkpoint} since. */
  @Override
  public Map<String, String> checkpoints() {
    synchronized (checkpoints) {
      return Map.copyOf(checkpoints);
    }
  }

  @Override
  public void note(String message) {
    notes.add(Objects.requireNonNull(message, "message"));
  }

  /** The lease given to the builder ({@link StepLease#none()} by default), e.g. a {@link FakeStepLease}. */
  @Override
  public StepLease lease() {
    return lease;
  }

  /** Every note, in order. */
  public List<String> notes() {
    synchronized (notes) {
      return List.copyOf(notes);
    }
  }

  /** Every sleep asked for, in order (also those cut short by a cancellation). */
  public List<Duration> sleeps() {
    synchronized (sleeps) {
      return List.copyOf(sleeps);
    }
  }

  @Override
  public String toString() {
    return "FakeStepContext[" + runId + ":" + stepPath + " attempt " + attempt + "]";
  }

  /** Builds a {@link FakeStepContext}; every setting has a default. */
  public static final class Builder {
    private String runId = "fake-run";
    private String planName = "fake-plan";
    private String stepPath = "stage/step";
    private Deployment deployment = Deployment.of("service", "1.0");
    private int attempt = 1;
    private @Nullable ManualClock clock;
    private @Nullable Instant deadline;
    private @Nullable Duration timeout;
    private @Nullable Snapshot knownGood;
    private @Nullable Snapshot undoSnapshot;
    private @Nullable Duration cancelAfter;
    private final Map<String, String> checkpoints = new LinkedHashMap<>();
    private StepLease lease = StepLease.none();

    private Builder() {}

    /** The lease the step acts under: a {@link FakeStepLease} to test that a step stops writing once it is lost. */
    public Builder withLease(StepLease lease) {
      this.lease = Objects.requireNonNull(lease, "lease");
      return this;
    }

    public Builder withRunId(String runId) {
      this.runId = requireText("run id", runId);
      return this;
    }

    public Builder withPlanName(String planName) {
      this.planName = requireText("plan name", planName);
      return this;
    }

    /** The step's path, e.g. {@code traffic/restore traffic app}; it appears in the messages of derived steps. */
    public Builder withStepPath(String stepPath) {
      this.stepPath = requireText("step path", stepPath);
      return this;
    }

    public Builder withDeployment(Deployment deployment) {
      this.deployment = Objects.requireNonNull(deployment, "deployment");
      return this;
    }

    /** The attempt number, 1 for the first; a resumed run continues the count. */
    public Builder withAttempt(int attempt) {
      if (attempt < 1) throw new IllegalArgumentException("attempt must be at least 1: " + attempt);
      this.attempt = attempt;
      return this;
    }

    /** The clock the context reads and its sleeps move; a new {@link ManualClock} by default. */
    public Builder withClock(ManualClock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** When the attempt times out; a sleep across it stops there and throws. */
    public Builder withDeadline(Instant deadline) {
      this.deadline = Objects.requireNonNull(deadline, "deadline");
      this.timeout = null;
      return this;
    }

    /** The attempt times out {@code timeout} after the context is built. */
    public Builder withTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
      this.timeout = timeout;
      this.deadline = null;
      return this;
    }

    /** The state {@link StepContext#knownGood()} returns, as a release start or a guard would have captured it. */
    public Builder withKnownGood(Snapshot knownGood) {
      this.knownGood = Objects.requireNonNull(knownGood, "knownGood");
      return this;
    }

    /** The state {@link StepContext#undoSnapshot()} returns, as the step's forward start would have captured it. */
    public Builder withUndoSnapshot(Snapshot undoSnapshot) {
      this.undoSnapshot = Objects.requireNonNull(undoSnapshot, "undoSnapshot");
      return this;
    }

    /** A checkpoint recorded by an earlier attempt, as a resumed run sees it. */
    public Builder withCheckpoint(String key, String value) {
      checkpoints.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /** The context cancels itself once its clock has moved {@code after} from when it is built. */
    public Builder cancelledAfter(Duration after) {
      Objects.requireNonNull(after, "after");
      if (after.isNegative()) throw new IllegalArgumentException("cancellation must not be in the past: " + after);
      this.cancelAfter = after;
      return this;
    }

    public FakeStepContext build() {
      return new FakeStepContext(this);
    }

    private static String requireText(String what, String value) {
      Objects.requireNonNull(value, what);
      if (value.isBlank()) throw new IllegalArgumentException(what + " must not be blank");
      return value;
    }
  }
}
