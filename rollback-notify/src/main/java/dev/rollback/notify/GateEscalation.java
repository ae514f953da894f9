package dev.rollback.notify;

import dev.rollback.CommunicationPlan;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.ManualClock;
import dev.rollback.Notification;
import dev.rollback.NotificationKind;
import dev.rollback.Notifier;
import dev.rollback.RollbackEvent;
import dev.rollback.RollbackListener;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Escalates unanswered gates along a {@link CommunicationPlan}'s escalations: register it on the
 * engine ({@code RollbackEngine.builder().withListener(escalation)}); when a gate opens, for each
 * audience HUMAN_NEEDED goes to, each {@code escalate(from, after, to)} sends the question to
 * {@code to} if the gate is still open after {@code after}, and so on down the chain. Under a
 * {@link ManualClock} the timers run on virtual time. When a named human answers a gate, the run's
 * PagerDuty alert is acknowledged (a human took it). Deliveries run on a thread of their own and
 * never reach the run; a failing channel is logged.
 */
public final class GateEscalation implements RollbackListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GateEscalation.class);

  private final CommunicationPlan plan;
  private final java.time.Clock clock;
  private final ScheduledExecutorService scheduler;
  private final ExecutorService senders;
  private final Map<String, RollbackEvent.RunStarted> runs = new ConcurrentHashMap<>();
  private final Set<String> open = ConcurrentHashMap.newKeySet();

  private GateEscalation(CommunicationPlan plan, java.time.Clock clock) {
    this.plan = plan;
    this.clock = clock;
    this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "rollback-escalation-timer");
      t.setDaemon(true);
      return t;
    });
    this.senders = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "rollback-escalation");
      t.setDaemon(true);
      return t;
    });
  }

  /** Escalates by {@code plan}'s rules, timing with {@code clock} (the engine's clock). */
  public static GateEscalation of(CommunicationPlan plan, java.time.Clock clock) {
    return new GateEscalation(Objects.requireNonNull(plan, "plan"), Objects.requireNonNull(clock, "clock"));
  }

  @Override
  public void onEvent(RollbackEvent event) {
    if (event instanceof RollbackEvent.RunStarted s) {
      runs.put(s.runId(), s);
    } else if (event instanceof RollbackEvent.GateOpened g) {
      open.add(g.request().id());
      for (String audience : plan.audiencesFor(NotificationKind.HUMAN_NEEDED)) schedule(g.request(), audience, Duration.ZERO);
    } else if (event instanceof RollbackEvent.GateDecided d) {
      open.remove(d.gateId());
      if (!d.timedOut()) acknowledgePages(d);
    } else if (event instanceof RollbackEvent.RunFinished f) {
      runs.remove(f.runId());
      // a cancelled or halted run closes its gates without a decision event: stop escalating them
      open.removeIf(id -> id.startsWith(f.runId() + "/"));
    }
  }

  private void acknowledgePages(RollbackEvent.GateDecided d) {
    String dedupKey = d.runId() + ":notify"; // the key the engine gives every notification of the run
    plan.audiences().values().stream().flatMap(List::stream).distinct()
        .filter(n -> n instanceof PagerDutyNotifier p && p.pages())
        .forEach(n -> senders.execute(() -> {
          try {
            ((PagerDutyNotifier) n).acknowledge(dedupKey);
            log.info("run {}: {} answered gate {}; acknowledged the page via {}", d.runId(), d.actor(), d.gateId(), n.name());
          } catch (Exception ex) {
            log.warn("run {}: acknowledging the page via {} failed: {}", d.runId(), n.name(), ex.toString());
          }
        }));
  }

  private void schedule(GateRequest gate, String from, Duration waitedSoFar) {
    for (CommunicationPlan.Escalation e : plan.escalationsFrom(from)) {
      Duration waited = waitedSoFar.plus(e.after());
      Runnable check = () -> escalate(gate, e, waited);
      if (clock instanceof ManualClock manual) {
        manual.schedule(check, e.after());
      } else {
        scheduler.schedule(check, e.after().toMillis(), TimeUnit.MILLISECONDS);
      }
    }
  }

  private void escalate(GateRequest gate, CommunicationPlan.Escalation e, Duration waited) {
    if (!open.contains(gate.id())) return;
    RollbackEvent.RunStarted run = runs.get(gate.runId());
    String planName = run == null ? "?" : run.plan();
    Deployment deployment = run == null ? Deployment.of("unknown", "unknown") : run.deployment();
    Notification n = new Notification(NotificationKind.HUMAN_NEEDED, e.to(), gate.runId(), planName, deployment,
        "Escalated: decision needed for " + planName,
        "Nobody in '" + e.from() + "' answered within " + waited + ". " + gate.question(),
        Map.of("gateId", gate.id(), "options", gate.options().toString(), "onTimeout", gate.onTimeout().name(),
            "deadline", gate.deadline().toString(), "escalatedFrom", e.from()),
        gate.runId() + ":notify", clock.instant());
    log.warn("gate {} unanswered after {}: escalating from {} to {}", gate.id(), waited, e.from(), e.to());
    for (Notifier notifier : plan.audiences().getOrDefault(e.to(), List.of())) {
      senders.execute(() -> {
        try {
          notifier.send(n);
        } catch (Exception ex) {
          log.warn("escalation of gate {} via {} failed: {}", gate.id(), notifier.name(), ex.toString());
        }
      });
    }
    schedule(gate, e.to(), waited);
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
    senders.shutdown();
  }
}
