/**
 * The journal: append-only, versioned, checksummed records of everything a run decided and did.
 * The source of truth for resume, reports and timelines. {@link dev.rollback.journal.FileJournal}
 * (JSON lines, fsync per record) is the default; {@link dev.rollback.journal.InMemoryJournal} uses
 * the same encoding for tests; {@code rollback-jdbc} adds a JDBC journal.
 */
@NullMarked
package dev.rollback.journal;

import org.jspecify.annotations.NullMarked;
