/**
 * Database migration rollback that preserves data: {@link dev.rollback.jdbc.Migrations} (up/down
 * SQL pairs and Java migrations, an archive of what destructive statements remove, restore that
 * keeps later writes, fingerprints, audit), and the JDBC implementations of the core SPIs,
 * {@link dev.rollback.jdbc.JdbcJournal} and {@link dev.rollback.jdbc.JdbcLease}. Runs on H2 and
 * PostgreSQL.
 */
@NullMarked
package dev.rollback.jdbc;

import org.jspecify.annotations.NullMarked;
