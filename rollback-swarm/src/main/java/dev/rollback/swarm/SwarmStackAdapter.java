package dev.rollback.swarm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.spi.Settled;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import dev.rollback.swarm.StackRestoreResult.ServiceOutcome;
import dev.rollback.swarm.StackRestoreResult.Status;
import dev.rollback.swarm.internal.Api;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole stack as a step-SPI {@link StateAdapter}: read every service of the namespace (one list
 * call), restore them wave by wave (the writes of a wave one after the other, then one wait for
 * the wave, one task list per poll for all its services), and tell whether all of them converged.
 *
 * <p>{@link #apply} waits for each wave before it writes the next: a service that depends on
 * another is written only once that one runs its restored spec, which an apply-then-settle of the
 * whole stack cannot express (and a {@code StateSteps.sequence} of partial targets cannot either:
 * its targets are fixed when the plan is built, while these come from the known-good state
 * journaled at release start). {@link #settled} is then a last look at every service.
 */
final class SwarmStackAdapter implements StateAdapter<SwarmStackState> {
  private static final Logger log = LoggerFactory.getLogger(SwarmStackAdapter.class);
  static final String KIND = "swarm-stack";

  private final SwarmStack stack;

  SwarmStackAdapter(SwarmStack stack) {
    this.stack = stack;
  }

  @Override
  public String describe() {
    return stack.describe();
  }

  /** One read of the stack: the states, and each service's id and Swarm rollout state. */
  record Observed(SwarmStackState state, Map<String, String> ids, Map<String, String[]> rollouts) {}

  Observed observe() {
    JsonNode list = stack.api().get("/services?" + Api.filters(Map.of("label",
        SwarmStack.NAMESPACE_LABEL + "=" + stack.namespace())));
    Map<String, SwarmServiceState> states = new TreeMap<>();
    Map<String, String> ids = new HashMap<>();
    Map<String, String[]> rollouts = new HashMap<>();
    for (JsonNode s : list) {
      String name = s.path("Spec").path("Name").asText();
      states.put(name, new SwarmServiceState(name, s.path("Spec")));
      ids.put(s.path("ID").asText(), name);
      rollouts.put(name, new String[] {s.path("UpdateStatus").path("State").asText(""),
          s.path("UpdateStatus").path("Message").asText("")});
    }
    if (states.isEmpty()) {
      throw new SwarmRollbackException(describe() + " has no services on " + stack.api().host()
          + " (no service is labelled " + SwarmStack.NAMESPACE_LABEL + "=" + stack.namespace() + ")");
    }
    return new Observed(new SwarmStackState(stack.namespace(), states), ids, rollouts);
  }

  @Override
  public SwarmStackState read(StepContext ctx) {
    return observe().state();
  }

  @Override
  public void apply(SwarmStackState target, StepContext ctx) {
    StackRestoreResult r = restore(target, ctx);
    for (ServiceOutcome s : r.services()) ctx.note(s.toString());
    if (!r.isSuccess()) throw new SwarmRollbackException("restore of " + r.summary());
  }

  @Override
  public SnapshotCodec<SwarmStackState> codec() {
    return CODEC;
  }

  /** Every service of the target has its spec back; services added since the capture do not count. */
  @Override
  public boolean matches(SwarmStackState target, SwarmStackState actual) {
    return target.services().entrySet().stream().allMatch(e -> e.getValue().equals(actual.services().get(e.getKey())));
  }

  @Override
  public Settled settled(SwarmStackState target, StepContext ctx) {
    Observed o = observe();
    Map<String, Convergence> c = convergence(new ArrayList<>(target.services().keySet()), target, o);
    String all = String.join("; ", c.values().stream().map(Convergence::summary).toList());
    for (Convergence one : c.values()) {
      if (one.isPaused()) return Settled.failed(stack.service(one.service()).impl().pausedMessage(one));
    }
    return c.values().stream().allMatch(Convergence::converged) ? Settled.yes(all) : Settled.notYet(all);
  }

  @Override
  public String describe(SwarmStackState state) {
    return state.services().size() + " service(s): " + String.join("; ", state.services().entrySet().stream()
        .map(e -> e.getKey() + " " + e.getValue().summary()).toList());
  }

  // ------------------------------------------------------------------ restore

  StackRestoreResult restore(SwarmStackState target, @Nullable StepContext ctx) {
    if (!target.namespace().equals(stack.namespace())) {
      throw new IllegalArgumentException("a state of stack " + target.namespace() + " cannot restore " + describe());
    }
    Observed now = observe();
    Map<String, ServiceOutcome> outcomes = new LinkedHashMap<>();
    List<List<String>> waves = SwarmStack.waves(new ArrayList<>(target.services().keySet()), stack.dependencies());
    boolean failed = false;
    for (List<String> wave : waves) {
      if (failed) {
        for (String s : wave) outcomes.put(s, new ServiceOutcome(s, Status.NOT_STARTED, "not restored: a service before it failed"));
        continue;
      }
      Map<String, RestoreResult> written = new LinkedHashMap<>();
      for (String s : wave) {
        try {
          written.put(s, stack.service(s).impl().restore(target.services().get(s), ctx, false));
        } catch (dev.rollback.LeaseLostException e) {
          throw e; // a replica that lost its lease restores nothing more, and does not report it as a failure
        } catch (RuntimeException e) {
          failed = true;
          outcomes.put(s, new ServiceOutcome(s, Status.FAILED, e.getMessage()));
        }
      }
      if (written.isEmpty()) continue;
      Map<String, Convergence> c = awaitWave(new ArrayList<>(written.keySet()), target, ctx);
      for (var e : written.entrySet()) {
        String s = e.getKey();
        Convergence conv = c.get(s);
        RestoreResult r = e.getValue();
        try {
          if (conv.isPaused()) throw stack.service(s).impl().paused(conv);
          if (!conv.converged()) {
            throw new SwarmRollbackException("restore of service " + s + " did not converge within "
                + stack.convergeTimeout() + ": " + conv.summary());
          }
          if (r.action() == RestoreResult.Action.UPDATED_WITH_ROLLOUT) {
            r = stack.service(s).impl().restore(target.services().get(s), ctx, true);
          }
          Status status = r.action() == RestoreResult.Action.NOTHING_TO_DO ? Status.UNCHANGED : Status.RESTORED;
          outcomes.put(s, new ServiceOutcome(s, status, r.message() + "; " + conv.summary()));
        } catch (dev.rollback.LeaseLostException ex) {
          throw ex;
        } catch (RuntimeException ex) {
          failed = true;
          outcomes.put(s, new ServiceOutcome(s, Status.FAILED, ex.getMessage()));
        }
      }
    }
    for (String s : now.state().services().keySet()) {
      if (!target.services().containsKey(s)) {
        outcomes.put(s, new ServiceOutcome(s, Status.ADDED_SINCE_CAPTURE,
            "not in the capture (added since): left as it is"));
      }
    }
    StackRestoreResult result = new StackRestoreResult(stack.namespace(), new ArrayList<>(outcomes.values()));
    log.info("restore of {}", result.summary());
    return result;
  }

  /** Polls the wave's tasks (one list call for all) until every service converged, one paused, or the timeout. */
  private Map<String, Convergence> awaitWave(List<String> services, SwarmStackState target, @Nullable StepContext ctx) {
    Instant end = SwarmServiceAdapter.now(ctx).plus(stack.convergeTimeout());
    if (ctx != null && ctx.deadline().isBefore(end)) end = ctx.deadline();
    Observed o = observe();
    while (true) {
      Map<String, Convergence> c = convergence(services, target, o);
      boolean done = c.values().stream().allMatch(x -> x.converged() || x.isPaused());
      if (done || !SwarmServiceAdapter.now(ctx).isBefore(end)) return c;
      if (c.values().stream().anyMatch(Tasks::anyFailedOnTarget)) o = observe();
      SwarmServiceAdapter.pause(ctx, stack.pollInterval(), describe());
    }
  }

  /** The convergence of each of {@code services} from one task list; Swarm's rollout state from {@code o}. */
  Map<String, Convergence> convergence(List<String> services, SwarmStackState target, Observed o) {
    JsonNode tasks = stack.api().get("/tasks?" + Api.filters("service", services));
    Map<String, ArrayNode> byService = new HashMap<>();
    for (String s : services) byService.put(s, Api.JSON.createArrayNode());
    for (JsonNode t : tasks) {
      String name = o.ids().get(t.path("ServiceID").asText());
      if (name != null && byService.containsKey(name)) byService.get(name).add(t);
    }
    Map<String, Convergence> out = new LinkedHashMap<>();
    for (String s : services) {
      Convergence c = Tasks.evaluate(target.services().get(s), byService.get(s));
      String[] r = o.rollouts().getOrDefault(s, new String[] {"", ""});
      out.put(s, new Convergence(s, c.converged(), c.running(), c.desired(), c.lagging(), r[0], r[1]));
    }
    return out;
  }

  // ------------------------------------------------------------------ snapshot

  static final SnapshotCodec<SwarmStackState> CODEC = new SnapshotCodec<>() {
    @Override
    public Snapshot encode(SwarmStackState state) {
      Map<String, String> v = new LinkedHashMap<>();
      v.put("kind", KIND);
      v.put("namespace", state.namespace());
      v.put("services", String.join(",", state.services().keySet()));
      state.services().forEach((name, s) -> {
        Snapshot one = SwarmServiceAdapter.CODEC.encode(s);
        one.values().forEach((k, val) -> {
          if (!k.equals("kind") && !k.equals("service")) v.put(name + "." + k, val);
        });
      });
      return Snapshot.of(v);
    }

    @Override
    public SwarmStackState decode(Snapshot s) {
      String kind = s.get("kind").orElse(KIND);
      if (!kind.equals(KIND)) throw new IllegalArgumentException("a snapshot of kind " + kind + " is not a Swarm stack's");
      Map<String, SwarmServiceState> services = new TreeMap<>();
      String list = s.require("services");
      if (!list.isEmpty()) {
        for (String name : list.split(",")) services.put(name, SwarmServiceState.of(name, s.require(name + ".spec")));
      }
      return new SwarmStackState(s.require("namespace"), services);
    }
  };
}
