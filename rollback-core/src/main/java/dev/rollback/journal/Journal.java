package dev.rollback.journal;

import java.util.List;

/**
 * Where a run's records go. Implementations must make a record durable before {@link #append}
 * returns, keep records in order per run, reject a record whose fencing token is lower than one
 * already accepted for that run ({@link FencedOffException}), and never drop a record silently.
 */
public interface Journal extends AutoCloseable {

  /** Appends {@code record} durably. */
  void append(JournalRecord record);

  /**
   * Appends a record whose loss in a crash costs nothing (a note, a health result, a stage
   * marker): it is durable no later than the next {@link #append}, in order. Journals without a
   * cheaper path make it durable at once.
   */
  default void appendLazily(JournalRecord record) {
    append(record);
  }

  /**
   * Makes every record appended lazily to the run durable now. The engine calls it when a record
   * appended lazily has waited a millisecond without a forced append to carry it. Journals whose
   * {@link #appendLazily} is durable at once have nothing to do; one that overrides
   * {@link #appendLazily} should override this too, as the engine commits a step's outcome with the
   * next record only on journals that override both.
   */
  default void flush(String runId) {}

  /**
   * Reads one run. A torn last record (a crash while writing it) is reported in
   * {@link JournalRead#problems()} and left out; garbage before the last record is a
   * {@link JournalCorruptedException} naming the place.
   */
  JournalRead read(String runId);

  /** The ids of all runs in this journal, oldest first. */
  List<String> runIds();

  /**
   * Makes the run appendable again after a torn tail: the torn bytes are kept aside (never
   * deleted) and a description of where they went is returned, or an empty string if nothing was torn.
   */
  default String repair(String runId) {
    return "";
  }

  @Override
  default void close() {}
}
