package dev.rollback.internal.communication;

import dev.rollback.Deployment;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.internal.Timer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Escalates one run's pages along the plan's {@code escalate(from, after, to)} rules, on the
 * engine's timer (virtual time under a {@code ManualClock}). A page is a ROLLBACK_TRIGGERED or
 * HUMAN_NEEDED message; when the audience it went to has an escalation rule and nobody acknowledges
 * within {@code after}, the message goes to the next audience, and so on down the chain (each
 * audience at most once per page, so a cycle in the rules ends).
 *
 * <p>A page stops escalating when someone acknowledges the run after it was sent (a human answer at
 * a gate counts), when its gate is decided, or when the run ends or is cancelled. Every escalation
 * is journaled before it is sent (ESCALATED: kind, from, to, after, reason) and its deliveries are
 * journaled like any other notification; sending runs on the dispatcher's lanes, never on the run.
 */
public final class PageEscalation {
  private static final Logger log = LoggerFactory.getLogger(PageEscalation.class);

  /** What the escalation needs from its run. */
  public interface Run {
    /** Journals an ESCALATED record with {@code data}. */
    void escalated(Map<String, Object> data, NotificationKind kind, String from, String to, Duration waited);

    /** Journals a delivery outcome (a NOTIFICATION record). */
    void delivered(Map<String, Object> outcome);
  }

  private final CommunicationPlan plan;
  private final NotificationDispatcher dispatcher;
  private final Timer timer;
  private final Clock clock;
  private final String runId;
  private final String planName;
  private final Deployment deployment;
  private final Run run;
  private final List<Timer.Cancellable> timers = new ArrayList<>();
  private final Set<String> closedGates = ConcurrentHashMap.newKeySet();
  private volatile @Nullable Instant lastAcknowledged;
  private volatile boolean stopped;

  public PageEscalation(CommunicationPlan plan, NotificationDispatcher dispatcher, Timer timer, Clock clock, String runId,
      String planName, Deployment deployment, Run run) {
    this.plan = plan;
    this.dispatcher = dispatcher;
    this.timer = timer;
    this.clock = clock;
    this.runId = runId;
    this.planName = planName;
    this.deployment = deployment;
    this.run = run;
  }

  /** True for the kinds that page (and so escalate). */
  public static boolean escalates(NotificationKind kind) {
    return kind == NotificationKind.ROLLBACK_TRIGGERED || kind == NotificationKind.HUMAN_NEEDED;
  }

  /**
   * A page of {@code kind} went to its audiences just now (the engine's wording, before templates);
   * schedules the escalations that start at those audiences.
   */
  public void paged(NotificationKind kind, String title, String text, Map<String, String> facts, @Nullable String gateId) {
    if (!escalates(kind) || stopped || plan.escalations().isEmpty()) return;
    Page page = new Page(kind, title, text, facts, gateId, clock.instant());
    for (String audience : plan.audiencesFor(kind)) {
      page.reached.add(audience);
    }
    for (String audience : plan.audiencesFor(kind)) {
      schedule(page, audience, Duration.ZERO);
    }
  }

  /** Someone acknowledged the run at {@code at}: pages sent until then stop escalating. */
  public void acknowledged(Instant at) {
    Instant last = lastAcknowledged;
    if (last == null || at.isAfter(last)) lastAcknowledged = at;
  }

  /** The gate was decided (by a human or its timeout): its HUMAN_NEEDED page stops escalating. */
  public void gateClosed(String gateId) {
    closedGates.add(gateId);
  }

  /** The run ended or was cancelled: nothing escalates any more. */
  public void stop() {
    stopped = true;
    List<Timer.Cancellable> all;
    synchronized (this) {
      all = List.copyOf(timers);
      timers.clear();
    }
    all.forEach(Timer.Cancellable::cancel);
  }

  private void schedule(Page page, String from, Duration waitedSoFar) {
    for (CommunicationPlan.Escalation e : plan.escalationsFrom(from)) {
      Duration waited = waitedSoFar.plus(e.after());
      synchronized (this) {
        if (stopped) return;
        timers.add(timer.schedule(() -> fire(page, e, waited), e.after()));
      }
    }
  }

  /** Why {@code page} must not escalate now, or null if it must. */
  private @Nullable String settled(Page page) {
    if (stopped) return "the run ended";
    Instant ack = lastAcknowledged;
    if (ack != null && !ack.isBefore(page.sentAt)) return "acknowledged at " + ack;
    if (page.gateId != null && closedGates.contains(page.gateId)) return "gate " + page.gateId + " was decided";
    return null;
  }

  private void fire(Page page, CommunicationPlan.Escalation e, Duration waited) {
    String why = settled(page);
    if (why != null) {
      log.debug("run {}: no escalation of {} from {} to {}: {}", runId, page.kind, e.from(), e.to(), why);
      return;
    }
    if (!page.reached.add(e.to())) {
      log.debug("run {}: {} already reached {}; not escalating again", runId, page.kind, e.to());
      return;
    }
    String reason = page.gateId != null
        ? "nobody answered gate " + page.gateId + " or acknowledged the run within " + waited
        : "nobody acknowledged the page within " + waited;
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("kind", page.kind.name());
    data.put("from", e.from());
    data.put("to", e.to());
    data.put("after", waited.toString());
    data.put("reason", reason);
    if (page.gateId != null) data.put("gateId", page.gateId);
    run.escalated(data, page.kind, e.from(), e.to(), waited);
    log.warn("run {}: {} sent to '{}' not acknowledged within {}; escalating to '{}'", runId, page.kind, e.from(), waited,
        e.to());
    Map<String, String> facts = new LinkedHashMap<>(page.facts);
    facts.put("escalatedFrom", e.from());
    facts.put("escalatedAfter", waited.toString());
    Notification n = NotificationDispatcher.word(plan, page.kind, e.to(), runId, planName, deployment,
        "Escalated: " + page.title,
        "Nobody in '" + e.from() + "' acknowledged within " + waited + ". " + page.text, facts,
        Notification.dedupKeyFor(runId), clock.instant());
    for (Notifier notifier : plan.audiences().getOrDefault(e.to(), List.of())) {
      dispatcher.send(outcome -> {
        Map<String, Object> d = new LinkedHashMap<>(outcome);
        d.put("escalatedFrom", e.from());
        run.delivered(d);
      }, notifier, n);
    }
    schedule(page, e.to(), waited);
  }

  private static final class Page {
    final NotificationKind kind;
    final String title;
    final String text;
    final Map<String, String> facts;
    final @Nullable String gateId;
    final Instant sentAt;
    final Set<String> reached = ConcurrentHashMap.newKeySet();

    Page(NotificationKind kind, String title, String text, Map<String, String> facts, @Nullable String gateId,
        Instant sentAt) {
      this.kind = kind;
      this.title = title;
      this.text = text;
      this.facts = Map.copyOf(facts);
      this.gateId = gateId;
      this.sentAt = sentAt;
    }
  }
}
