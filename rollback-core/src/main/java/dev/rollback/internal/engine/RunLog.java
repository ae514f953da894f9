package dev.rollback.internal.engine;

import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import dev.rollback.journal.RunHistory;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one writer of a run's state. Every thread of a run — the run's own, a parallel sibling, a
 * gate's timeout, the budget timer, a notifier lane — hands its event here; the event is appended
 * to the journal and folded into the run's {@link RunHistory} in one critical section, so the
 * history is exactly the journal's, in the journal's order. Nothing else mutates run state:
 * everything reads the history, whose readers return immutable values.
 */
final class RunLog {
  /**
   * Records whose loss in a crash costs nothing, because a forced record always follows before
   * anything they describe matters, or because they only inform (notes, health results,
   * notifications). RUN_CREATED and PLAN_STARTED are among them: the run acts on the world only
   * after a forced STEP_STARTED (or KNOWN_GOOD, when it captures), and waits for a human only after
   * a forced GATE_OPENED, and a run lost before either did nothing; so the first step of a kill
   * switch waits for one force of the run's new file (and of the directory that names it), not
   * three. The same holds for an undo snapshot (before its STEP_STARTED). Everything else is forced
   * before it returns.
   */
  private static final Set<RecordType> LAZY = EnumSet.of(RecordType.RUN_CREATED, RecordType.PLAN_STARTED, RecordType.STAGE_STARTED,
      RecordType.UNDO_SNAPSHOT, RecordType.NOTE, RecordType.HEALTH_CHECKED, RecordType.TRIGGER_FIRED,
      RecordType.NOTIFICATION, RecordType.BUDGET_EXCEEDED, RecordType.ESCALATED);

  /**
   * A step's outcome, committed as a group with the record that follows it. Losing it in a crash
   * leaves the step in doubt, which resume decides like any step cut off before its outcome was
   * written (idempotency, reconcile by read-back, or a gate); the window for that is at most
   * {@link GroupCommit#DELAY} longer than the force itself would take. In a sequence of steps the
   * next STEP_STARTED is forced microseconds later and carries it, so a step costs one force instead
   * of two; where nothing forced follows soon (a parallel sibling still running, a wait), the
   * {@link GroupCommit} forces it after {@link GroupCommit#DELAY}.
   */
  private static final Set<RecordType> GROUPED = EnumSet.of(RecordType.STEP_SUCCEEDED, RecordType.STEP_FAILED,
      RecordType.STEP_SKIPPED, RecordType.STEP_CANCELLED);

  private final Journal journal;
  private final Clock clock;
  private final String runId;
  private final long fence;
  private final RunHistory history;
  /** Set once the run lost its lease: events are folded into the history, nothing goes to the journal. */
  private volatile boolean detached;
  /** Whether the journal has a cheaper lazy path worth grouping for (its {@code flush} does something). */
  private final boolean grouping;
  /** A grouped record waits for a force. Guarded by history. */
  private boolean groupedUnforced;
  /** When the oldest grouped record not yet forced was appended (System.nanoTime). Guarded by history. */
  private long unforcedSince;
  /** Whether a {@link GroupCommit} check is scheduled. Guarded by history. */
  private boolean checkScheduled;

  RunLog(Journal journal, Clock clock, String runId, long fence, RunHistory history) {
    this.journal = journal;
    this.clock = clock;
    this.runId = runId;
    this.fence = fence;
    this.history = history;
    this.grouping = GroupCommit.worthIt(journal);
  }

  /** Appends {@code event} (durably unless it is one of the informational kinds) and folds it in. */
  JournalRecord append(JournalEvent.Known event) {
    synchronized (history) {
      JournalRecord r = JournalRecord.of(history.lastSeq() + 1, runId, clock.instant(), fence, event);
      if (detached) {
        // a replica that lost its lease writes nothing: the run's own state still follows what happened
      } else if (grouping && GROUPED.contains(event.type())) {
        journal.appendLazily(r);
        if (!groupedUnforced) {
          groupedUnforced = true;
          unforcedSince = System.nanoTime();
        }
        if (!checkScheduled) {
          checkScheduled = true;
          GroupCommit.check(this, GroupCommit.DELAY_NANOS);
        }
      } else if (LAZY.contains(event.type())) {
        journal.appendLazily(r);
      } else {
        journal.append(r);
        groupedUnforced = false;
      }
      history.add(r, event);
      return r;
    }
  }

  /**
   * Forces the grouped records that have waited {@link GroupCommit#DELAY} without a forced record to
   * carry them; returns how long to wait before looking again, or 0 when nothing is waiting.
   */
  long forceOverdue() {
    synchronized (history) {
      if (!groupedUnforced || detached) {
        checkScheduled = false;
        return 0;
      }
      long waited = System.nanoTime() - unforcedSince;
      if (waited < GroupCommit.DELAY_NANOS) return GroupCommit.DELAY_NANOS - waited;
      groupedUnforced = false;
      checkScheduled = false;
      journal.flush(runId);
      return 0;
    }
  }

  /** Stops writing to the journal (the run lost its lease); waits for an append in progress. */
  void detach() {
    synchronized (history) {
      detached = true;
    }
  }

  RunHistory history() {
    return history;
  }

  String runId() {
    return runId;
  }

  long fence() {
    return fence;
  }
}
