/**
 * The journal: append-only, versioned, checksummed records of everything a run decided and did,
 * the source of truth for resume, reports and timelines. A {@link dev.rollback.journal.JournalRecord}
 * is the envelope; its typed body is a {@link dev.rollback.journal.JournalEvent}; a run's records
 * fold into its {@link dev.rollback.journal.RunHistory}, which the engine and every report read.
 * {@link dev.rollback.journal.FileJournal} (JSON lines, durable records forced, fencing across
 * processes) is the default; {@link dev.rollback.journal.InMemoryJournal} uses the same encoding for
 * tests; {@code rollback-jdbc} adds a JDBC journal.
 */
@NullMarked
package dev.rollback.journal;

import org.jspecify.annotations.NullMarked;
