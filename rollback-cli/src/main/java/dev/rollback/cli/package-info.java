/**
 * Plans as files: {@link dev.rollback.cli.Plans} loads YAML and JSON plan files
 * ({@code kind: RollbackPlan}, {@code Release}, {@code Fleet} and templates) into the core's
 * plans and releases, with every problem reported at its file, line, column and path; a
 * {@link dev.rollback.cli.Fleet} rolls several services back in reverse dependency order. The
 * {@code rollback} command line is built on it.
 */
@NullMarked
package dev.rollback.cli;

import org.jspecify.annotations.NullMarked;
