package dev.rollback.lb;

import dev.rollback.Step;
import dev.rollback.StepContext;
import dev.rollback.detect.HealthCheck;
import dev.rollback.lb.internal.Names;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;

/**
 * A gradual shift of traffic from one server back to another in steps of the share left on the
 * first ({@code 50 → 10 → 0} by default), with a health gate between steps. Immutable; the
 * {@code with*} methods return changed copies; {@link #toStep()} makes the plan step.
 *
 * <pre>{@code
 * Traffic.shiftBack(haproxy, "checkout", "v2", "v1")
 *     .inSteps(50, 10, 0)
 *     .withHealthGate(Traffic.probe("checkout", healthUri), Duration.ofSeconds(10))
 *     .withPause(Duration.ofSeconds(5))
 *     .toStep();
 * }</pre>
 *
 * Each finished step is checkpointed, so a resumed run continues after the last one done; a
 * health gate that stays down fails the step there, leaving the traffic at that step.
 */
public final class TrafficShift {
  private final TrafficRouter router;
  private final String backend;
  private final String from;
  private final String to;
  private final List<Integer> percents;
  private final @Nullable HealthCheck gate;
  private final Duration gateWithin;
  private final Duration pause;
  private final Duration pollInterval;
  private final Cutover cutover;

  private TrafficShift(TrafficRouter router, String backend, String from, String to, List<Integer> percents,
      @Nullable HealthCheck gate, Duration gateWithin, Duration pause, Duration pollInterval, Cutover cutover) {
    this.router = router;
    this.backend = backend;
    this.from = from;
    this.to = to;
    this.percents = List.copyOf(percents);
    this.gate = gate;
    this.gateWithin = gateWithin;
    this.pause = pause;
    this.pollInterval = pollInterval;
    this.cutover = cutover;
  }

  static TrafficShift create(TrafficRouter router, String backend, String from, String to) {
    Objects.requireNonNull(router, "router");
    Names.require("backend", backend);
    Names.require("server", from);
    Names.require("server", to);
    if (from.equals(to)) throw new IllegalArgumentException("shift of backend " + backend + " from " + from + " to itself");
    return new TrafficShift(router, backend, from, to, List.of(50, 10, 0), null, Duration.ofSeconds(30),
        Duration.ZERO, Duration.ofMillis(100), Cutover.drain());
  }

  /** The percentages of traffic left on {@code from} after each step: strictly decreasing, 0..100. */
  public TrafficShift inSteps(int... percentsOnFrom) {
    if (percentsOnFrom.length == 0) throw new IllegalArgumentException("shift of backend " + backend + " needs at least one step");
    List<Integer> p = new ArrayList<>();
    for (int i = 0; i < percentsOnFrom.length; i++) {
      int v = percentsOnFrom[i];
      if (v < 0 || v > 100) throw new IllegalArgumentException("shift step must be a percentage 0..100: " + v);
      if (i > 0 && v >= percentsOnFrom[i - 1]) {
        throw new IllegalArgumentException("shift steps must be strictly decreasing: " + p + " then " + v);
      }
      p.add(v);
    }
    return new TrafficShift(router, backend, from, to, p, gate, gateWithin, pause, pollInterval, cutover);
  }

  /** After each step, {@code check} must be UP within {@code within} (polled) or the shift stops and fails. */
  public TrafficShift withHealthGate(HealthCheck check, Duration within) {
    Objects.requireNonNull(check, "check");
    requirePositive("health gate time", within);
    return new TrafficShift(router, backend, from, to, percents, check, within, pause, pollInterval, cutover);
  }

  /** How long each step holds before its health gate is checked; none by default. */
  public TrafficShift withPause(Duration pause) {
    Objects.requireNonNull(pause, "pause");
    if (pause.isNegative()) throw new IllegalArgumentException("pause must not be negative: " + pause);
    return new TrafficShift(router, backend, from, to, percents, gate, gateWithin, pause, pollInterval, cutover);
  }

  /** How often the health gate is polled; 100 ms by default. */
  public TrafficShift withPollInterval(Duration interval) {
    requirePositive("poll interval", interval);
    return new TrafficShift(router, backend, from, to, percents, gate, gateWithin, pause, interval, cutover);
  }

  public TrafficShift withCutover(Cutover cutover) {
    return new TrafficShift(router, backend, from, to, percents, gate, gateWithin, pause, pollInterval,
        Objects.requireNonNull(cutover, "cutover"));
  }

  public List<Integer> percents() {
    return percents;
  }

  /** The routing after the step that leaves {@code percentOnFrom} percent on {@code from}. */
  public RoutingState targetAt(int percentOnFrom) {
    Map<String, ServerRoute> m = new LinkedHashMap<>();
    m.put(from, ServerRoute.ready(percentOnFrom));
    m.put(to, ServerRoute.ready(100 - percentOnFrom));
    return RoutingState.of(backend, m);
  }

  /**
   * The plan step: a {@link StateSteps#sequence} of {@link #targetAt} each percentage, on the
   * backend's adapter ({@link Traffic#backend}), each held for the pause and then gated.
   */
  public Step toStep() {
    String sentence = "shift traffic of backend " + backend + " from " + from + " to " + to + " in steps "
        + percents.stream().map(p -> p + "%").collect(Collectors.joining(" → ")) + " on " + router.name()
        + (gate == null ? "" : ", gated by " + gate.name());
    List<RoutingState> targets = percents.stream().map(this::targetAt).toList();
    StateSteps.Sequence<RoutingState> sequence = StateSteps.on(new Shares(Traffic.backend(router, backend, cutover)))
        .sequence("shift " + backend, targets)
        .withPause(pause);
    if (gate != null) sequence = sequence.withHealthGate(gate, gateWithin, pollInterval);
    return sequence.toStep().withDescription(sentence);
  }

  /** The backend's adapter, describing a routing by the shares of the two servers of the shift ("10% on v2, 90% on v1"). */
  private final class Shares implements StateAdapter<RoutingState> {
    private final StateAdapter<RoutingState> backendState;

    Shares(StateAdapter<RoutingState> backendState) {
      this.backendState = backendState;
    }

    @Override public String describe() { return backendState.describe(); }
    @Override public RoutingState read(StepContext ctx) throws Exception { return backendState.read(ctx); }
    @Override public void apply(RoutingState target, StepContext ctx) throws Exception { backendState.apply(target, ctx); }
    @Override public SnapshotCodec<RoutingState> codec() { return backendState.codec(); }
    @Override public boolean matches(RoutingState target, RoutingState actual) { return backendState.matches(target, actual); }

    @Override
    public String describe(RoutingState state) {
      if (!state.servers().containsKey(from) || !state.servers().containsKey(to)) return state.toString();
      return Math.round(state.shareOf(from) * 100) + "% on " + from + ", " + Math.round(state.shareOf(to) * 100) + "% on " + to;
    }
  }

  private static void requirePositive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
  }
}
