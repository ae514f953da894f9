package dev.rollback.internal.engine;

import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRecord;
import java.time.Duration;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forces a run's grouped records (a step's outcome) when no forced record has carried them within
 * {@link #DELAY}: one daemon thread for the JVM, started on first use, that wakes only while a run
 * has such a record waiting. Real time, not the engine's clock: durability does not wait for a
 * {@code ManualClock} to be advanced.
 */
final class GroupCommit {
  private static final Logger log = LoggerFactory.getLogger(GroupCommit.class);

  /** The longest a grouped record waits for a forced record before it is forced on its own. */
  static final Duration DELAY = Duration.ofMillis(1);
  static final long DELAY_NANOS = DELAY.toNanos();

  private GroupCommit() {}

  private static final class Holder {
    static final ScheduledThreadPoolExecutor EXECUTOR = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "rollback-journal-group-commit");
      t.setDaemon(true);
      return t;
    });
  }

  private static final ClassValue<Boolean> OVERRIDES_FLUSH = new ClassValue<>() {
    @Override
    protected Boolean computeValue(Class<?> type) {
      try {
        return type.getMethod("flush", String.class).getDeclaringClass() != Journal.class
            && type.getMethod("appendLazily", JournalRecord.class).getDeclaringClass() != Journal.class;
      } catch (NoSuchMethodException e) {
        return false;
      }
    }
  };

  /** Whether grouping pays with this journal: only if its lazy appends are cheaper and it can flush them. */
  static boolean worthIt(Journal journal) {
    return OVERRIDES_FLUSH.get(journal.getClass());
  }

  static void check(RunLog log, long delayNanos) {
    Holder.EXECUTOR.schedule(() -> run(log), delayNanos, TimeUnit.NANOSECONDS);
  }

  private static void run(RunLog runLog) {
    long again;
    try {
      again = runLog.forceOverdue();
    } catch (RuntimeException e) {
      // the next forced append meets the same journal and fails the run there, where it is reported
      log.warn("run {}: cannot force a step's outcome to the journal yet: {}", runLog.runId(), e.toString());
      again = 0;
    }
    if (again > 0) check(runLog, again);
  }
}
