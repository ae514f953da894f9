/**
 * Point-in-time recovery for PostgreSQL, tied to releases: {@link dev.rollback.jdbc.pitr.PointInTimeRecovery}
 * checks before a release that the server can be recovered (WAL archiving that works, a recent
 * base backup, free space) and creates a named restore point for the run;
 * {@link dev.rollback.jdbc.pitr.SideBySideRestore} recovers a copy next to the live server and copies
 * back only the tables or rows the user names, exporting every newer row it overwrites;
 * {@link dev.rollback.jdbc.pitr.WholeClusterRestore} replaces the live cluster behind an approval gate
 * that says which writes it loses; {@link dev.rollback.jdbc.pitr.BackupDrill} proves the backups
 * restore. Needs the PostgreSQL server binaries and the pgjdbc driver where it runs.
 */
@NullMarked
package dev.rollback.jdbc.pitr;

import org.jspecify.annotations.NullMarked;
