package dev.rollback.lb.internal;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.lb.Cutover;
import dev.rollback.lb.HaproxyRouter;
import dev.rollback.lb.NginxRouter;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import dev.rollback.lb.Traffic;
import dev.rollback.lb.TrafficRouter;
import dev.rollback.lb.TrafficShift;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The load balancers and traffic steps plan files can name: targets {@code haproxy} and
 * {@code nginx}; steps {@code lb.weights}, {@code lb.flip} (blue/green), {@code lb.shift} (gradual)
 * and {@code lb.restoreKnownGood}. Registered in {@code META-INF/services}.
 */
public final class LbTypes {
  private LbTypes() {}

  static final Parameter TARGET = Parameter.required("target", Type.TARGET, "the load balancer").withChoices("haproxy", "nginx");
  static final Parameter BACKEND = Parameter.required("backend", Type.STRING, "the HAProxy backend or NGINX upstream");
  static final Parameter TIMEOUT_NOTE = Parameter.optional("cutover", Type.ENUM,
      "drain: in-flight requests finish; hardCut: open sessions are ended too").withChoices("drain", "hardCut").withDefault("drain");

  static Cutover cutover(Arguments args) {
    return args.has("cutover") && args.string("cutover").equals("hardCut") ? Cutover.hardCut() : Cutover.drain();
  }

  static Step bounded(Step step) {
    return step.timeout().isPresent() ? step : step.withTimeout(Duration.ofSeconds(30));
  }

  /** {@code haproxy}: the runtime API on a unix socket or a loopback TCP port. */
  public static final class Haproxy implements TargetType {
    @Override public String name() { return "haproxy"; }
    @Override public String summary() { return "an HAProxy runtime API (admin socket), unix socket or TCP"; }
    @Override public List<Parameter> parameters() {
      return List.of(
          Parameter.optional("socket", Type.PATH, "the admin unix socket (stats socket ... level admin); or give address"),
          Parameter.optional("address", Type.STRING, "host:port of a TCP admin socket on loopback; or give socket"),
          Parameter.optional("timeout", Type.DURATION, "timeout of one runtime API command").withDefault("2s"),
          Parameter.optional("serverStateFile", Type.PATH, "dump server state here after each change, so a reload keeps it"));
    }
    @Override public Object open(Arguments args) {
      HaproxyRouter r;
      if (args.has("socket") == args.has("address")) {
        throw new IllegalArgumentException("give exactly one of socket and address");
      }
      if (args.has("socket")) {
        r = HaproxyRouter.unixSocket(args.path("socket"));
      } else {
        String a = args.string("address");
        int colon = a.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("address must be host:port, not '" + a + "'");
        int port;
        try {
          port = Integer.parseInt(a.substring(colon + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("address must be host:port, not '" + a + "'");
        }
        r = HaproxyRouter.tcp(a.substring(0, colon), port);
      }
      r = r.withTimeout(args.duration("timeout"));
      return args.has("serverStateFile") ? r.withServerStateFile(args.path("serverStateFile")) : r;
    }
  }

  /** {@code nginx}: upstreams rewritten in an included file, checked and reloaded. */
  public static final class Nginx implements TargetType {
    @Override public String name() { return "nginx"; }
    @Override public String summary() { return "an NGINX whose upstream blocks live in a file the main config includes"; }
    @Override public List<Parameter> parameters() {
      return List.of(
          Parameter.required("config", Type.PATH, "the main config NGINX runs with (-c)"),
          Parameter.required("upstreamFile", Type.PATH, "the included file holding the upstream blocks"),
          Parameter.optional("prefix", Type.PATH, "the prefix NGINX runs with (-p)"),
          Parameter.optional("binary", Type.STRING, "the nginx executable").withDefault("nginx"),
          Parameter.optional("pidFile", Type.PATH, "the master's pid file"),
          Parameter.optional("errorLog", Type.PATH, "the error log, where a rejected reload shows"),
          Parameter.optional("timeout", Type.DURATION, "how long test, reload and its confirmation may take").withDefault("10s"));
    }
    @Override public Object open(Arguments args) {
      NginxRouter r = NginxRouter.of(args.path("config"), args.path("upstreamFile"))
          .withBinary(args.string("binary")).withTimeout(args.duration("timeout"));
      if (args.has("prefix")) r = r.withPrefix(args.path("prefix"));
      if (args.has("pidFile")) r = r.withPidFile(args.path("pidFile"));
      if (args.has("errorLog")) r = r.withErrorLog(args.path("errorLog"));
      return r;
    }
  }

  /** {@code lb.weights}: explicit weights on named servers. */
  public static final class Weights implements StepType {
    @Override public String name() { return "lb.weights"; }
    @Override public String summary() { return "set explicit weights on the named servers of a backend (READY; weight 0 takes no new requests)"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, BACKEND,
          Parameter.required("weights", Type.INTEGER_MAP, "server name to weight (HAProxy 0..256, NGINX 0..1000)").between(0, 1000));
    }
    @Override public Step step(Arguments args) {
      return bounded(Traffic.setWeights(args.target("target", TrafficRouter.class), args.string("backend"), args.integerMap("weights")));
    }
    @Override public boolean hasChange() { return true; }
    @Override public Change change(Arguments args) {
      Map<String, ServerRoute> routes = new LinkedHashMap<>();
      args.integerMap("weights").forEach((s, w) -> routes.put(s, ServerRoute.ready(w)));
      String backend = args.string("backend");
      Change c = Traffic.change("route " + backend, args.target("target", TrafficRouter.class), RoutingState.of(backend, routes));
      return c.withApply(bounded(c.apply())).withRevert(bounded(c.revert()));
    }
  }

  /** {@code lb.flip}: blue/green, all traffic to the named servers. */
  public static final class Flip implements StepType {
    @Override public String name() { return "lb.flip"; }
    @Override public String summary() { return "blue/green: send all traffic of a backend to the named servers, draining the others"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, BACKEND, Parameter.required("to", Type.STRING_LIST, "the servers that take all traffic"), TIMEOUT_NOTE);
    }
    @Override public Step step(Arguments args) {
      return bounded(Traffic.flipTo(args.target("target", TrafficRouter.class), args.string("backend"), cutover(args),
          args.strings("to").toArray(new String[0])));
    }
  }

  /** {@code lb.shift}: gradual shift back, gated by a check. */
  public static final class Shift implements StepType {
    @Override public String name() { return "lb.shift"; }
    @Override public String summary() { return "shift traffic gradually from one server to another, checking health after each step"; }
    @Override public List<Parameter> parameters() {
      return List.of(TARGET, BACKEND,
          Parameter.required("from", Type.STRING, "the server traffic moves away from"),
          Parameter.required("to", Type.STRING, "the server traffic moves to"),
          Parameter.optional("percents", Type.INTEGER_LIST, "percent left on 'from' after each step, decreasing")
              .between(0, 100),
          Parameter.optional("check", Type.CHECK, "must be UP after each step"),
          Parameter.optional("within", Type.DURATION, "how long the check may take to be UP").withDefault("30s"),
          Parameter.optional("pause", Type.DURATION, "how long each step holds before its check"), TIMEOUT_NOTE);
    }
    @Override public Step step(Arguments args) {
      TrafficShift s = Traffic.shiftBack(args.target("target", TrafficRouter.class), args.string("backend"),
          args.string("from"), args.string("to")).withCutover(cutover(args));
      if (args.has("percents")) s = s.inSteps(args.integers("percents").stream().mapToInt(Integer::intValue).toArray());
      if (args.has("check")) s = s.withHealthGate(args.check("check"), args.duration("within"));
      if (args.has("pause")) s = s.withPause(args.duration("pause"));
      Step step = s.toStep();
      if (step.timeout().isPresent()) return step;
      Duration per = args.duration("within").plus(args.has("pause") ? args.duration("pause") : Duration.ZERO).plusSeconds(10);
      return step.withTimeout(per.multipliedBy(s.percents().size()));
    }
  }

  /** {@code lb.restoreKnownGood}: the routing captured when the release started or the run was captured. */
  public static final class RestoreKnownGood implements StepType {
    @Override public String name() { return "lb.restoreKnownGood"; }
    @Override public String summary() { return "put a backend back to the routing captured before the deployment (rollback capture)"; }
    @Override public List<Parameter> parameters() { return List.of(TARGET, BACKEND, TIMEOUT_NOTE); }
    @Override public Step step(Arguments args) {
      return bounded(Traffic.restoreKnownGood(args.target("target", TrafficRouter.class), args.string("backend"), cutover(args)));
    }
  }
}
