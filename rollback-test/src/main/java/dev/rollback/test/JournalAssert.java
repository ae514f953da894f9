package dev.rollback.test;

import dev.rollback.journal.Journal;
import dev.rollback.journal.JournalEvent;
import dev.rollback.journal.JournalRead;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RunHistory;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.api.AbstractAssert;

/**
 * Assertions on a {@link Journal} after a fault: {@code assertThat(journal).hasIntactRun(runId)}
 * checks that the run reads without problems (no torn or corrupt record), that every record
 * decodes to a known typed event, that sequence numbers have no gap, and that {@link RunHistory}
 * folds the records without problems.
 */
public final class JournalAssert extends AbstractAssert<JournalAssert, Journal> {

  JournalAssert(Journal actual) {
    super(actual, JournalAssert.class);
  }

  public JournalAssert hasIntactRun(String runId) {
    isNotNull();
    JournalRead read;
    try {
      read = actual.read(runId);
    } catch (RuntimeException e) {
      failWithMessage("Expected run %s of journal %s to read, but reading it threw %s", runId, actual, e);
      return this;
    }
    List<String> problems = new ArrayList<>(read.problems());
    if (read.isEmpty()) problems.add("no record at all");
    long expectedSeq = -1;
    for (JournalRecord r : read.records()) {
      if (expectedSeq >= 0 && r.seq() != expectedSeq) {
        problems.add("record " + r.seq() + " (" + r.type() + ") follows record " + (expectedSeq - 1));
      }
      expectedSeq = r.seq() + 1;
      try {
        JournalEvent e = r.event();
        if (e instanceof JournalEvent.Unknown u) problems.add("record " + r.seq() + " has an unknown type " + u.typeName());
      } catch (RuntimeException e) {
        problems.add("record " + r.seq() + " (" + r.type() + ") does not decode: " + e);
      }
    }
    try {
      RunHistory history = RunHistory.of(read);
      problems.addAll(history.problems());
    } catch (RuntimeException e) {
      problems.add("RunHistory does not fold it: " + e);
    }
    if (!problems.isEmpty()) {
      failWithMessage("Expected run %s of journal %s to be intact, but: %s", runId, actual, String.join("; ", problems));
    }
    return this;
  }
}
