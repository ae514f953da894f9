package dev.rollback.engine;

import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory journal (the real codec, one {@link InMemoryJournal} per run) whose runs a test can
 * forget once it has checked them, so thousands of runs do not pile up in memory.
 */
final class PerRunJournal implements Journal {
  private final Map<String, InMemoryJournal> runs = new ConcurrentHashMap<>();

  private InMemoryJournal of(String runId) {
    return runs.computeIfAbsent(runId, k -> InMemoryJournal.create());
  }

  @Override public void append(JournalRecord record) { of(record.runId()).append(record); }
  @Override public void appendLazily(JournalRecord record) { of(record.runId()).appendLazily(record); }
  @Override public JournalRead read(String runId) { return of(runId).read(runId); }
  @Override public List<String> runIds() { return List.copyOf(runs.keySet()); }

  void forget(String runId) {
    runs.remove(runId);
  }
}
