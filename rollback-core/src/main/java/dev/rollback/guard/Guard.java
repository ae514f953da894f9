package dev.rollback.guard;

import dev.rollback.Deployment;
import dev.rollback.PlanValidationException;
import dev.rollback.RollbackException;
import dev.rollback.RollbackPlan;
import dev.rollback.RunOutcome;
import dev.rollback.Step;
import dev.rollback.WorstCase;
import dev.rollback.detect.DetectionBudget;
import dev.rollback.detect.Evaluation;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.internal.guard.DefaultGuard;
import dev.rollback.journal.FileJournal;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.Journal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * The embedded self-rollback watchdog. {@link #arm()} after a deployment: it captures the
 * known-good state, evaluates its triggers for the bake time on the engine's clock, and when one
 * says ROLL_BACK it takes the lease and runs the plan — exactly once per deployment, also across
 * replicas and restarts (the run id is derived from the plan and the deployment, and the journal
 * is checked for an earlier rollback of the deployment before acting). Every firing and every
 * inconclusive verdict is journaled with its evidence. {@link #close()} disarms.
 *
 * <pre>{@code
 * try (Guard guard = Guard.builder(plan, Deployment.of("checkout", "2.4.0"))
 *         .withEngine(engine).withLease(lease)
 *         .trigger(Trigger.sequential(requests))
 *         .trigger(Trigger.consecutiveFailures(Signals.poll(health, ofSeconds(2)), 3))
 *         .withBakeTime(ofMinutes(10))
 *         .build()) {
 *   guard.arm();
 *   ...
 * }
 * }</pre>
 *
 * <p>Idle cost: one scheduler thread (none under a {@link ManualClock}), woken every evaluation
 * interval and at once when a watched {@link RequestRecorder} records a failure.
 */
public interface Guard extends AutoCloseable {

  /**
   * A snapshot of the guard for the application's health endpoint. {@code outcome} is how this
   * replica's rollback ended (null before it ended, or when it never fired).
   */
  public record Status(GuardState state, Deployment deployment, String plan, String runId, @Nullable Instant armedAt,
      @Nullable Instant bakeEndsAt, String detail, List<Evaluation> lastEvaluations, @Nullable RunOutcome outcome) {
    public Status {
      lastEvaluations = List.copyOf(lastEvaluations);
    }
  }

  /** A guard that runs {@code plan} when {@code deployment} turns out bad. */
  static Builder builder(RollbackPlan plan, Deployment deployment) {
    return new Builder(Objects.requireNonNull(plan, "plan"), Objects.requireNonNull(deployment, "deployment"));
  }

  /** The run id a guard uses for {@code plan} and {@code deployment}: the same in every replica and after restarts. */
  static String runIdOf(RollbackPlan plan, Deployment deployment) {
    String readable = (deployment.service() + "-" + deployment.version()).replaceAll("[^A-Za-z0-9_.-]", "-");
    if (readable.length() > 80) readable = readable.substring(0, 80);
    try {
      byte[] h = MessageDigest.getInstance("SHA-256")
          .digest((plan.name() + "\n" + deployment.id()).getBytes(StandardCharsets.UTF_8));
      return "guard-" + readable + "-" + HexFormat.of().formatHex(h, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /** The run id of this guard's rollback: the same in every replica and after restarts. */
  String runId();

  GuardState state();

  /** A snapshot for the application's health endpoint. */
  Status status();

  /** The rollback this guard started, if it did. */
  Optional<RollbackRun> run();

  /**
   * Captures the known-good state and starts watching. If a rollback of this deployment already
   * ran (another replica, or this application before a restart), the guard stands down instead;
   * if one was decided but never started, it starts it now. The first guard armed in a JVM also
   * warms the engine up ({@link RollbackEngine#warmUp()}, tens of milliseconds once), so the
   * rollback it may start later is not the JVM's first run.
   *
   * @throws IllegalStateException if already armed or closed
   * @throws RollbackException if the known-good state cannot be captured (the guard does not protect then)
   */
  void arm();

  /** Rolls back now, on a human's word (e.g. after NEEDS_HUMAN); journaled with {@code actor}. */
  void rollBackNow(String actor, String reason);

  /**
   * Disarms: stops evaluating. A rollback already started keeps running (on an owned engine, until
   * it ends) and keeps its lease until then; a rollback that ended has already given the lease up,
   * before its result completed, so a process that exits right after {@code run().await()} or
   * {@code close()} leaves the lease free for the next replica.
   */
  @Override
  void close();

  /** Configures a {@link Guard}; {@link #build()} validates the whole setup. */
  final class Builder {
    private final RollbackPlan plan;
    private final Deployment deployment;
    private @Nullable RollbackEngine engine;
    private @Nullable Journal journal;
    private @Nullable Clock clock;
    private @Nullable Lease lease;
    private String holder = "pid-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
    private Duration leaseTtl = Duration.ofSeconds(30);
    private @Nullable Duration leaseJitter;
    private Duration leaseBackoffCap = Duration.ofSeconds(5);
    private final List<Trigger> triggers = new ArrayList<>();
    private Duration bakeTime = Duration.ofMinutes(10);
    private Duration evaluationInterval = Duration.ofMillis(250);
    private Duration cooldown = Duration.ZERO;
    private @Nullable Duration soak;
    private int rollbackLimit = 3;
    private Duration rollbackLimitWindow = Duration.ofHours(1);
    private boolean journalShared;

    private Builder(RollbackPlan plan, Deployment deployment) {
      this.plan = plan;
      this.deployment = deployment;
    }

    /** The engine that captures the known-good state and runs the plan; its clock drives the guard. */
    public Builder withEngine(RollbackEngine engine) {
      this.engine = Objects.requireNonNull(engine, "engine");
      return this;
    }

    /** Without {@link #withEngine}: the journal of the engine the guard creates (and closes). */
    public Builder withJournal(Journal journal) {
      this.journal = Objects.requireNonNull(journal, "journal");
      return this;
    }

    /** Without {@link #withEngine}: the clock of the engine the guard creates. */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** The lease that makes one replica act; default {@link Leases#inMemory(Clock)} (one JVM only). */
    public Builder withLease(Lease lease) {
      this.lease = Objects.requireNonNull(lease, "lease");
      return this;
    }

    /** This replica's name in the lease (default: pid and a random suffix). */
    public Builder withHolder(String holder) {
      Objects.requireNonNull(holder, "holder");
      if (holder.isBlank()) throw new IllegalArgumentException("lease holder must not be blank");
      this.holder = holder;
      return this;
    }

    public Builder withLeaseTtl(Duration ttl) {
      this.leaseTtl = positive(ttl, "lease ttl");
      return this;
    }

    /**
     * Many replicas, one incident: when a trigger fires, the guard waits a random delay of up to
     * {@code jitter} before it tries the lease (so the replicas of every service that fire in the
     * same second do not reach the lease store at once); when an attempt fails (the store is
     * unreachable, or overloaded: Kubernetes' 429), it tries again after an exponential backoff
     * from 100 ms, bounded by {@code maxBackoff}, each delay drawn between half and all of it and
     * never shorter than the store's Retry-After. A replica that finds the lease held looks again
     * within a third of the lease TTL (the renew interval), so it takes over within the TTL plus
     * one renew interval when the holder dies. {@link Guard#rollBackNow} is never delayed.
     * Default: 200 ms of jitter for a lease shared between processes (none for
     * {@link Leases#inMemory()}, which no other process uses), backoff up to 5 s.
     */
    public Builder withLeaseAcquisition(Duration jitter, Duration maxBackoff) {
      Objects.requireNonNull(jitter, "jitter");
      if (jitter.isNegative()) throw new IllegalArgumentException("lease jitter must not be negative: " + jitter);
      this.leaseJitter = jitter;
      this.leaseBackoffCap = positive(maxBackoff, "lease max backoff");
      return this;
    }

    /**
     * Watches {@code trigger}. The guard evaluates its own evaluator of it, created at
     * {@link Guard#arm()}, so the same trigger can watch a release or another guard as well.
     */
    public Builder trigger(Trigger trigger) {
      triggers.add(Objects.requireNonNull(trigger, "trigger"));
      return this;
    }

    /** How long the guard watches after {@link Guard#arm()}; default 10 minutes. */
    public Builder withBakeTime(Duration bakeTime) {
      this.bakeTime = positive(bakeTime, "bake time");
      return this;
    }

    /** How often triggers are evaluated besides the wake-ups by failures; default 250 ms. */
    public Builder withEvaluationInterval(Duration interval) {
      this.evaluationInterval = positive(interval, "evaluation interval");
      return this;
    }

    /**
     * After a rollback of this service (any version) started, a firing trigger within
     * {@code cooldown} asks a human instead of rolling back again, so a guard does not roll back a rollback.
     */
    public Builder withCooldown(Duration cooldown) {
      Objects.requireNonNull(cooldown, "cooldown");
      if (cooldown.isNegative()) throw new IllegalArgumentException("cooldown must not be negative: " + cooldown);
      this.cooldown = cooldown;
      return this;
    }

    /**
     * After its rollback's steps, the guard keeps watching the restored version for {@code window}
     * (instead of the plan's soak window): its own triggers, with new evaluators, and the plan's
     * {@code verifiedBy} checks; a regression makes the run NOT_RECOVERED and asks the plan's
     * HUMAN_NEEDED audience. Without it the guard's triggers join the plan's soak, if it has one.
     */
    public Builder withSoak(Duration window) {
      this.soak = positive(window, "soak window");
      return this;
    }

    /**
     * No rollback loops: at most {@code max} automatic rollbacks of this service (any version,
     * started by a guard's trigger, as the journal records them; those a human asked for with
     * {@link Guard#rollBackNow} do not count) within {@code window}; a trigger that fires after that
     * asks a human instead (NEEDS_HUMAN; {@link Guard#rollBackNow} still acts). Default 3 per hour,
     * as GitLab caps auto-rollbacks (gitlab-org/gitlab#249131). The count reads the guard's journal:
     * give the replicas a shared journal for it to count theirs.
     */
    public Builder withRollbackLimit(int max, Duration window) {
      if (max < 1) throw new IllegalArgumentException("rollback limit must be at least 1: " + max);
      this.rollbackLimit = max;
      this.rollbackLimitWindow = positive(window, "rollback limit window");
      return this;
    }

    /** Declares that the FileJournal given lives on storage every replica shares (a network volume). */
    public Builder journalIsShared() {
      this.journalShared = true;
      return this;
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
      return d;
    }

    /**
     * Validates and builds. Throws {@link PlanValidationException} listing every problem: no
     * trigger; a plan that may terminate this host without a shared durable journal and a
     * shared lease; a trigger whose worst-case detection plus the plan's step timeouts exceeds
     * the plan's budget (saying by how much).
     */
    public Guard build() {
      List<String> violations = new ArrayList<>();
      String path = "guard for " + deployment + " › plan '" + plan.name() + "'";
      if (engine != null && (journal != null || clock != null)) {
        throw new IllegalArgumentException("give the guard either an engine or a journal/clock for one, not both");
      }
      if (triggers.isEmpty()) violations.add(path + ": has no triggers");
      Journal j = engine != null ? engine.journal() : journal;
      Clock c = engine != null ? engine.clock() : clock != null ? clock : Clock.systemUTC();
      Lease l = lease != null ? lease : Leases.inMemory(c);
      if (plan.mayTerminateHost()) {
        List<String> steps = plan.steps().stream().filter(Step::mayTerminateHost).map(Step::name).toList();
        String why = " (steps " + steps + " may terminate this host, so another replica must be able to resume the run)";
        if (j == null || j instanceof InMemoryJournal) {
          violations.add(path + ": needs a shared durable journal, e.g. JdbcJournal, not an in-memory one" + why);
        } else if (j instanceof FileJournal && !journalShared) {
          violations.add(path + ": a FileJournal is local to this host; use a shared journal (JdbcJournal), or call"
              + " journalIsShared() if its directory is on storage every replica mounts" + why);
        }
        if (Leases.isInMemory(l)) {
          violations.add(path + ": needs a lease shared by the replicas (JDBC or Kubernetes), not Leases.inMemory()" + why);
        }
      }
      if (plan.budget().isPresent()) {
        WorstCase steps = plan.worstCase();
        violations.addAll(DetectionBudget.violations(path, plan.budget().get(), triggers, evaluationInterval, steps.duration(),
            "the plan's step timeouts" + (steps.isBounded() ? ""
                : " (without " + String.join(", ", steps.unbounded()) + ", which have none)")));
      }
      if (!violations.isEmpty()) throw new PlanValidationException(plan.name(), violations);
      boolean owns = engine == null;
      RollbackEngine e = engine;
      if (e == null) {
        RollbackEngine.Builder eb = RollbackEngine.builder().withClock(c);
        if (j != null) eb.withJournal(j);
        e = eb.build();
      }
      return new dev.rollback.internal.guard.DefaultGuard(new dev.rollback.internal.guard.DefaultGuard.Settings(plan, deployment, holder,
          leaseTtl, triggers, bakeTime, evaluationInterval, cooldown, soak, rollbackLimit, rollbackLimitWindow,
          leaseJitter != null ? leaseJitter : Leases.isInMemory(l) ? Duration.ZERO : Duration.ofMillis(200), leaseBackoffCap),
          e, owns, l);
    }
  }
}
