package dev.rollback.internal.engine;

import dev.rollback.Deployment;
import dev.rollback.KnownGood;
import dev.rollback.RollbackPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.Verdict;
import dev.rollback.engine.PreparedRun;
import dev.rollback.engine.HeldLease;
import dev.rollback.engine.RollbackRun;
import dev.rollback.engine.RunOptions;
import dev.rollback.internal.Timer;
import dev.rollback.internal.communication.NotificationDispatcher;
import dev.rollback.internal.communication.PageEscalation;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.journal.RunHistory;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A prepared run: the known-good state is journaled, the run has not started. Journals what it is
 * given after the run's last record (through the run itself once it has started, so sequence
 * numbers stay in order), and asks humans through the engine's notification lanes.
 */
public final class Preparation implements PreparedRun {
  private static final Logger log = LoggerFactory.getLogger(Preparation.class);

  /** What a preparation needs of its engine. */
  public interface Engine {
    Journal journal();

    Clock clock();

    Timer timer();

    NotificationDispatcher notifications();

    /** The run of this id if it is going in this engine. */
    @Nullable Run live(String runId);
  }

  private final Engine engine;
  private final RollbackPlan plan;
  private final Deployment deployment;
  private final KnownGood knownGood;
  private final BiFunction<String, UnaryOperator<RunOptions>, RollbackRun> starter;
  private @Nullable PageEscalation escalation;
  private boolean asking;

  public Preparation(Engine engine, RollbackPlan plan, Deployment deployment, KnownGood knownGood,
      BiFunction<String, UnaryOperator<RunOptions>, RollbackRun> starter) {
    this.engine = engine;
    this.plan = plan;
    this.deployment = deployment;
    this.knownGood = knownGood;
    this.starter = starter;
  }

  @Override public String runId() { return knownGood.runId(); }
  @Override public RollbackPlan plan() { return plan; }
  @Override public Deployment deployment() { return deployment; }
  @Override public KnownGood knownGood() { return knownGood; }

  @Override
  public void record(JournalEvent.Known event, long fencingToken) {
    Run run = engine.live(runId());
    if (run != null) {
      run.record(event);
      return;
    }
    synchronized (this) {
      RunHistory h = RunHistory.of(engine.journal().read(runId()).records());
      JournalRecord r = JournalRecord.of(h.lastSeq() + 1, runId(), engine.clock().instant(), fencingToken, event);
      if (event.type() == dev.rollback.journal.RecordType.TRIGGER_FIRED
          && ((JournalEvent.TriggerFired) event).verdict() == dev.rollback.detect.Verdict.ROLL_BACK) {
        engine.journal().append(r); // a decision to act: durable before the run starts
      } else {
        engine.journal().appendLazily(r);
      }
    }
  }

  @Override
  public void record(JournalEvent.Known event) {
    RunHistory h = RunHistory.of(engine.journal().read(runId()).records());
    record(event, h.highestFence());
  }

  /** Journals quietly: a notification outcome must never fail the caller. */
  private void journal(JournalEvent.Known event) {
    try {
      record(event);
    } catch (RuntimeException e) {
      log.warn("run {}: could not journal {}: {}", runId(), event.type(), e.toString());
    }
  }

  @Override
  public void askHumans(String title, String text, Map<String, String> facts) {
    if (plan.communication().audiencesFor(NotificationKind.HUMAN_NEEDED).isEmpty()) return;
    synchronized (this) {
      asking = true;
    }
    engine.notifications().dispatch(d -> journal(Notices.notification(d)), plan.communication(),
        NotificationKind.HUMAN_NEEDED, runId(), plan.name(), deployment, title, text, facts,
        Notification.dedupKeyFor(runId()), engine.clock().instant());
    if (plan.communication().escalations().isEmpty()) return;
    PageEscalation e;
    synchronized (this) {
      if (escalation == null) {
        escalation = new PageEscalation(plan.communication(), engine.notifications(), engine.timer(), engine.clock(),
            runId(), plan.name(), deployment, new PageEscalation.Run() {
              @Override
              public void escalated(Map<String, Object> data, NotificationKind kind, String from, String to, Duration waited) {
                journal(Notices.escalated(data));
              }

              @Override
              public void delivered(Map<String, Object> outcome) {
                journal(Notices.notification(outcome));
              }
            });
      }
      e = escalation;
    }
    e.paged(NotificationKind.HUMAN_NEEDED, title, text, facts, null);
  }

  /** True while a question is open: an acknowledgement of the run id is this preparation's. */
  public synchronized boolean isAsking() {
    return asking;
  }

  /** Someone took the question: journaled, and its page stops escalating. */
  public void acknowledged(String actor, String source) {
    journal(new JournalEvent.Acknowledged(actor, source));
    PageEscalation e;
    synchronized (this) {
      e = escalation;
    }
    if (e != null) e.acknowledged(engine.clock().instant());
    log.info("run {}: {} acknowledged the question via {}", runId(), actor, source);
  }

  @Override
  public void stopAsking() {
    PageEscalation e;
    synchronized (this) {
      e = escalation;
      escalation = null;
      asking = false;
    }
    if (e != null) e.stop();
  }

  @Override
  public RollbackRun start(String reason, long fencingToken) {
    stopAsking();
    return starter.apply(reason, o -> o.withFencingToken(fencingToken));
  }

  @Override
  public RollbackRun start(String reason, HeldLease lease, UnaryOperator<RunOptions> options) {
    stopAsking();
    return starter.apply(reason, o -> options.apply(o.withLease(lease.lease(), lease.grant(), lease.ttl())));
  }

  @Override
  public String toString() {
    return "PreparedRun[" + runId() + ", plan '" + plan.name() + "', " + deployment + "]";
  }
}
