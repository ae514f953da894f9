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
   * notifications). PLAN_STARTED is one of them: the run acts on the world only after a forced
   * STEP_STARTED and waits for a human only after a forced GATE_OPENED, and a run lost before
   * either did nothing, so the first step of a kill switch waits for one fsync, not two. The same
   * holds for an undo snapshot (before its STEP_STARTED). Everything else is forced before it returns.
   */
  private static final Set<RecordType> LAZY = EnumSet.of(RecordType.PLAN_STARTED, RecordType.STAGE_STARTED,
      RecordType.UNDO_SNAPSHOT, RecordType.NOTE, RecordType.HEALTH_CHECKED, RecordType.TRIGGER_FIRED,
      RecordType.NOTIFICATION, RecordType.BUDGET_EXCEEDED, RecordType.ESCALATED);

  private final Journal journal;
  private final Clock clock;
  private final String runId;
  private final long fence;
  private final RunHistory history;
  /** Set once the run lost its lease: events are folded into the history, nothing goes to the journal. */
  private volatile boolean detached;

  RunLog(Journal journal, Clock clock, String runId, long fence, RunHistory history) {
    this.journal = journal;
    this.clock = clock;
    this.runId = runId;
    this.fence = fence;
    this.history = history;
  }

  /** Appends {@code event} (durably unless it is one of the informational kinds) and folds it in. */
  JournalRecord append(JournalEvent.Known event) {
    synchronized (history) {
      JournalRecord r = JournalRecord.of(history.lastSeq() + 1, runId, clock.instant(), fence, event);
      if (detached) {
        // a replica that lost its lease writes nothing: the run's own state still follows what happened
      } else if (LAZY.contains(event.type())) {
        journal.appendLazily(r);
      } else {
        journal.append(r);
      }
      history.add(r, event);
      return r;
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
