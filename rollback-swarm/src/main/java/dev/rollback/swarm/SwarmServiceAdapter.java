package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import dev.rollback.swarm.internal.Api;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Swarm service as a step-SPI {@link StateAdapter}: read its spec, put a target spec in place,
 * encode it as a snapshot, compare, and tell whether its tasks converged ({@link #settled}: every
 * wanted task runs the target; {@link Settled#failed} when Swarm paused the rollout). Every write
 * carries the service's version index as read; a write refused because the service changed in
 * between ("update out of sequence") starts over from a fresh read, re-deciding (it may now have
 * nothing to do).
 *
 * <p>{@link #apply} returns once the target is written, with one exception the SPI's
 * apply-then-settle cannot express otherwise: when the target must first be rolled out with other
 * settings (a rollout override, or failure action {@code pause} in place of {@code rollback}), its
 * own update config can only be written back once the tasks run it, so apply waits for the tasks
 * between those two writes.
 */
final class SwarmServiceAdapter implements StateAdapter<SwarmServiceState> {
  private static final Logger log = LoggerFactory.getLogger(SwarmServiceAdapter.class);

  static final String KIND = "swarm-service";

  private final SwarmService service;

  SwarmServiceAdapter(SwarmService service) {
    this.service = service;
  }

  private Api api() { return service.api(); }

  private String name() { return service.name(); }

  @Override
  public String describe() {
    return service.describe();
  }

  /** What one read of the service shows. */
  record Observed(String id, long version, SwarmServiceState state, @Nullable JsonNode previousSpec, String rollout,
      String rolloutMessage) {}

  Observed observe() {
    String path = "/services/" + Api.encode(name());
    JsonNode s;
    try {
      s = api().get(path);
    } catch (SwarmApiException e) {
      if (e.status() == 404) {
        throw new SwarmApiException("service " + name() + " does not exist on " + api().host() + " (GET " + path
            + " answered 404: " + e.getMessage().replaceFirst("^.*? failed: 404 ", "") + ")", e.call(), 404, e);
      }
      throw e;
    }
    JsonNode prev = s.get("PreviousSpec");
    return new Observed(s.path("ID").asText(), s.path("Version").path("Index").asLong(),
        new SwarmServiceState(name(), s.path("Spec")), prev == null || prev.isNull() ? null : prev,
        s.path("UpdateStatus").path("State").asText(""), s.path("UpdateStatus").path("Message").asText(""));
  }

  @Override
  public SwarmServiceState read(StepContext ctx) {
    return observe().state();
  }

  @Override
  public void apply(SwarmServiceState target, StepContext ctx) {
    RestoreResult r = restore(target, ctx);
    ctx.note(r.message());
  }

  @Override
  public SnapshotCodec<SwarmServiceState> codec() {
    return CODEC;
  }

  /** The specs are equal field by field (the default {@code equals}). */
  @Override
  public boolean matches(SwarmServiceState target, SwarmServiceState actual) {
    return target.equals(actual);
  }

  /** From one task list: settled when every wanted task runs the target; failed when Swarm paused the rollout. */
  @Override
  public Settled settled(SwarmServiceState target, StepContext ctx) {
    return settled(convergence(target));
  }

  Settled settled(Convergence c) {
    if (c.isPaused()) return Settled.failed(pausedMessage(c));
    return c.converged() ? Settled.yes(c.summary()) : Settled.notYet(c.summary());
  }

  @Override
  public String describe(SwarmServiceState state) {
    return state.summary();
  }

  /**
   * The service's previous spec ({@code PreviousSpec}, what {@code docker service rollback} goes
   * back to), as a target; an error naming the service when it has none.
   */
  SwarmServiceState previous() {
    Observed o = observe();
    if (o.previousSpec() == null) throw noPreviousSpec();
    return new SwarmServiceState(name(), o.previousSpec());
  }

  private SwarmRollbackException noPreviousSpec() {
    return new SwarmRollbackException("cannot roll back " + describe()
        + ": it has no previous spec (it was never updated); nothing to go back to");
  }

  // ------------------------------------------------------------------ restore

  /** Puts {@code target} in place; waits for the tasks only where a second write must follow them. */
  RestoreResult restore(SwarmServiceState target, @Nullable StepContext ctx) {
    return restore(target, ctx, true);
  }

  /**
   * As {@link #restore(SwarmServiceState, StepContext)}; with {@code finishRollout} false it returns
   * right after writing the rollout settings (a stack restore waits for all its services at once,
   * then calls again to put each update config back).
   */
  RestoreResult restore(SwarmServiceState target, @Nullable StepContext ctx, boolean finishRollout) {
    checkTarget(target);
    // checked right before every write: a replica that lost its lease sends no more updates
    dev.rollback.StepLease lease = ctx == null ? dev.rollback.StepLease.none() : ctx.lease();
    int writes = 0;
    int conflicts = 0;
    RestoreResult.Action action = RestoreResult.Action.NOTHING_TO_DO;
    boolean resumed = false;
    for (int round = 1; ; round++) {
      if (round > service.conflictRetries() + 4) {
        throw new SwarmRollbackException("restore of " + describe() + " did not reach the target spec after " + writes
            + " write(s): the daemon keeps answering with another spec (a target built by hand may lack the"
            + " defaults the daemon adds; build it from capture())");
      }
      Observed o = observe();
      if (o.state().equals(target)) {
        if (writes == 0 && (o.rollout().equals("paused") || o.rollout().equals("rollback_paused"))
            && !Tasks.evaluate(target, api().get("/tasks?" + Api.filters(Map.of("service", name())))).converged()) {
          // a restore that Swarm paused earlier (its tasks could not run): the spec is right but the
          // rollout stopped, and Swarm starts a rollout only for a changed spec. So the target goes
          // once more with its update config's monitor 1 ns longer, then (tasks done) as it is.
          ObjectNode nudged = target.spec();
          ObjectNode uc = nudged.path("UpdateConfig") instanceof ObjectNode u ? u : nudged.putObject("UpdateConfig");
          uc.put("Monitor", uc.path("Monitor").asLong(5_000_000_000L) + 1);
          try {
            beforeWrite(conflicts + 1);
            lease.check();
            api().post("/services/" + o.id() + "/update?version=" + o.version(), nudged);
          } catch (SwarmApiException e) {
            if (isConflict(e) && conflicts < service.conflictRetries()) {
              conflicts++;
              continue;
            }
            throw rejected(e, target);
          }
          log.info("{}: Swarm had paused the rollout of the target spec ({}); started it again", describe(), o.rolloutMessage());
          writes++;
          resumed = true;
          action = RestoreResult.Action.UPDATED_WITH_ROLLOUT;
          continue;
        }
        return result(action, writes, conflicts, o);
      }
      ObjectNode staged = staged(target);
      String path = "/services/" + o.id() + "/update?version=" + o.version();
      try {
        if ((resumed || !staged.equals(target.spec())) && equalButUpdateConfig(o.state().spec(), target.spec())) {
          // second phase: the tasks run the target's task template under the rollout settings;
          // now its own update config goes back (no task is replaced: the template is unchanged)
          Convergence c = awaitTasks(target, ctx);
          if (!c.converged()) {
            throw new SwarmRollbackException("restore of " + describe() + " did not converge within "
                + service.convergeTimeout() + ": " + c.summary());
          }
          Observed now = observe();
          if (!equalButUpdateConfig(now.state().spec(), target.spec())) continue;
          beforeWrite(writes + conflicts + 1);
          lease.check();
          api().post("/services/" + now.id() + "/update?version=" + now.version(), target.spec());
          writes++;
          action = RestoreResult.Action.UPDATED_WITH_ROLLOUT;
          continue;
        }
        beforeWrite(writes + conflicts + 1);
        lease.check();
        if (service.rolloutOrNull() == null && o.previousSpec() != null && o.previousSpec().equals(target.spec())) {
          // exactly docker service rollback: the current spec back with rollback=previous; Swarm
          // swaps in the previous spec and rolls out with its rollback config
          api().post(path + "&rollback=previous", o.state().spec());
          writes++;
          return result(RestoreResult.Action.SWARM_ROLLBACK, writes, conflicts, o);
        }
        if (staged.equals(target.spec())) {
          api().post(path, target.spec());
          writes++;
          return result(RestoreResult.Action.UPDATED, writes, conflicts, o);
        }
        api().post(path, staged);
        writes++;
        action = RestoreResult.Action.UPDATED_WITH_ROLLOUT;
        if (!finishRollout) return result(action, writes, conflicts, o);
      } catch (SwarmApiException e) {
        if (isConflict(e) && conflicts < service.conflictRetries()) {
          conflicts++;
          log.info("{} changed while restoring it ({}): reading it again", describe(), e.getMessage());
          continue;
        }
        throw rejected(e, target);
      }
    }
  }

  /** The docker service rollback of the service's previous spec, as the CLI sends it (no wait). */
  RestoreResult rollbackToPrevious() {
    int conflicts = 0;
    while (true) {
      Observed o = observe();
      if (o.previousSpec() == null) throw noPreviousSpec();
      try {
        beforeWrite(conflicts + 1);
        api().post("/services/" + o.id() + "/update?version=" + o.version() + "&rollback=previous", o.state().spec());
        return result(RestoreResult.Action.SWARM_ROLLBACK, 1, conflicts, o);
      } catch (SwarmApiException e) {
        if (isConflict(e) && conflicts < service.conflictRetries()) {
          conflicts++;
          continue;
        }
        throw e;
      }
    }
  }

  private RestoreResult result(RestoreResult.Action action, int writes, int conflicts, Observed before) {
    String what = switch (action) {
      case NOTHING_TO_DO -> describe() + " already has the target spec (image " + before.state().image() + "): nothing written";
      case SWARM_ROLLBACK -> "rolled " + describe() + " back to its previous spec with Swarm's rollback (rollback config)";
      case UPDATED -> "updated " + describe() + " to the target spec";
      case UPDATED_WITH_ROLLOUT -> "updated " + describe() + " to the target spec, rolled out with "
          + (service.rolloutOrNull() == null ? "its update config with failure action pause" : "the rollout " + service.rolloutOrNull())
          + ", then its own update config put back";
    };
    String msg = what + (conflicts > 0 ? " (after " + conflicts + " conflicting update(s), each re-read)" : "");
    log.info(msg);
    return new RestoreResult(name(), action, writes, conflicts, msg);
  }

  /**
   * The spec to write first: with a rollout override, the target with the override as its update
   * config; without one, the target itself, except that an update config whose failure action is
   * {@code rollback} is written with {@code pause} (a restore whose tasks fail must stop and say so,
   * not let Swarm roll back to the release being undone). When this differs from the target, the
   * target's own update config is written once the tasks run the target.
   */
  ObjectNode staged(SwarmServiceState target) {
    ObjectNode spec = target.spec();
    if (service.rolloutOrNull() != null) {
      spec.set("UpdateConfig", service.rolloutOrNull().toJson());
    } else if (spec.path("UpdateConfig").path("FailureAction").asText("").equals("rollback")) {
      ((ObjectNode) spec.get("UpdateConfig")).put("FailureAction", "pause");
    }
    return spec;
  }

  /** The two specs differ at most in their update config (the daemon may write a rollout override its own way). */
  static boolean equalButUpdateConfig(ObjectNode a, ObjectNode b) {
    ObjectNode x = a.deepCopy();
    ObjectNode y = b.deepCopy();
    x.remove("UpdateConfig");
    y.remove("UpdateConfig");
    return x.equals(y);
  }

  private void checkTarget(SwarmServiceState target) {
    if (!target.service().equals(name())) {
      throw new IllegalArgumentException("a state of service " + target.service() + " cannot restore " + describe());
    }
  }

  private void beforeWrite(int attempt) {
    if (service.beforeWrite() != null) service.beforeWrite().accept(attempt);
  }

  static boolean isConflict(SwarmApiException e) {
    return e.getMessage() != null && e.getMessage().contains("update out of sequence");
  }

  private SwarmApiException rejected(SwarmApiException e, SwarmServiceState target) {
    if (e.isUnreachable()) return e;
    String refs = (target.configs().isEmpty() ? "" : "; configs " + target.configs())
        + (target.secrets().isEmpty() ? "" : "; secrets " + target.secrets());
    return new SwarmApiException("Swarm refused the restore of " + describe() + " to image " + target.image() + refs
        + ": " + e.getMessage(), e.call(), e.status(), e);
  }

  // ------------------------------------------------------------------ convergence

  /**
   * The tasks against {@code target}: one task list; the service itself is read only when a task
   * failed on the target spec (Swarm may then have paused the rollout, which only the service says).
   */
  Convergence convergence(SwarmServiceState target) {
    JsonNode tasks = api().get("/tasks?" + Api.filters(Map.of("service", name())));
    Convergence c = Tasks.evaluate(target, tasks);
    if (c.converged() || !Tasks.anyFailedOnTarget(c)) return c;
    Observed o = observe();
    return new Convergence(c.service(), false, c.running(), c.desired(), c.lagging(), o.rollout(), o.rolloutMessage());
  }

  SwarmRollbackException paused(Convergence c) {
    return new SwarmRollbackException(pausedMessage(c));
  }

  String pausedMessage(Convergence c) {
    return "Swarm paused the rollout of " + describe() + " (its failure action): " + c.summary()
        + "; the known state is kept: fix the cause and run the step again (it resumes from a fresh read)";
  }

  /** Polls until converged, paused (thrown) or the converge timeout; returns the last convergence. */
  Convergence awaitTasks(SwarmServiceState target, @Nullable StepContext ctx) {
    Instant end = now(ctx).plus(service.convergeTimeout());
    if (ctx != null && ctx.deadline().isBefore(end)) end = ctx.deadline();
    while (true) {
      Convergence c = convergence(target);
      if (c.converged()) return c;
      if (c.isPaused()) throw paused(c);
      if (!now(ctx).isBefore(end)) return c;
      pause(ctx, service.pollInterval(), describe());
    }
  }

  static Instant now(@Nullable StepContext ctx) {
    return ctx == null ? Instant.now() : ctx.clock().instant();
  }

  static void pause(@Nullable StepContext ctx, Duration interval, String what) {
    if (ctx != null) {
      ctx.checkCancelled();
      try {
        ctx.sleep(interval);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CancellationException("interrupted while waiting for the tasks of " + what);
      }
      return;
    }
    LockSupport.parkNanos(interval.toNanos());
    if (Thread.interrupted()) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for the tasks of " + what);
    }
  }

  // ------------------------------------------------------------------ snapshot

  static final SnapshotCodec<SwarmServiceState> CODEC = new SnapshotCodec<>() {
    @Override
    public Snapshot encode(SwarmServiceState state) {
      Map<String, String> v = new LinkedHashMap<>();
      v.put("kind", KIND);
      v.put("service", state.service());
      v.put("image", state.image());
      if (!state.configs().isEmpty()) v.put("configs", String.join(", ", state.configs()));
      if (!state.secrets().isEmpty()) v.put("secrets", String.join(", ", state.secrets()));
      v.put("spec", state.specJson());
      return Snapshot.of(v);
    }

    @Override
    public SwarmServiceState decode(Snapshot s) {
      String kind = s.get("kind").orElse(KIND);
      if (!kind.equals(KIND)) throw new IllegalArgumentException("a snapshot of kind " + kind + " is not a Swarm service's");
      return SwarmServiceState.of(s.require("service"), s.require("spec"));
    }
  };
}
