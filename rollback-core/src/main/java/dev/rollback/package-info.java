/**
 * Rollback: plans and releases that put every layer of a deployment back into a known-good state.
 *
 * <p>Build a {@link dev.rollback.RollbackPlan} (rollback mode) or a {@link dev.rollback.Release}
 * (deploy with automatic rollback) from {@link dev.rollback.Step}s and {@link dev.rollback.Change}s,
 * run it on a {@link dev.rollback.RollbackEngine}, and read the {@link dev.rollback.RollbackResult}.
 * Every decision and action is journaled, so a run interrupted by a crash resumes where it stopped.
 */
@NullMarked
package dev.rollback;

import org.jspecify.annotations.NullMarked;
