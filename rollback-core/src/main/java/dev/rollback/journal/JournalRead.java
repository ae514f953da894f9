package dev.rollback.journal;

import java.util.List;

/**
 * What reading one run's journal gave: the valid records, and the problems found (a torn last
 * record, a repaired tail), each naming where. Problems never hide records: a torn tail is kept
 * aside by the journal, not deleted.
 */
public record JournalRead(String runId, List<JournalRecord> records, List<String> problems) {
  public JournalRead {
    records = List.copyOf(records);
    problems = List.copyOf(problems);
  }

  public boolean isEmpty() {
    return records.isEmpty();
  }
}
