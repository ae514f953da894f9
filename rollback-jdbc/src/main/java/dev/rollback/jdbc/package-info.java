/**
 * Database migration rollback that preserves data, the JDBC journal and the JDBC lease. Coming with the JDBC issue.
 */
@NullMarked
package dev.rollback.jdbc;

import org.jspecify.annotations.NullMarked;
