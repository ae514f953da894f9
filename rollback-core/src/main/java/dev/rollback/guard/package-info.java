/**
 * The embedded self-rollback watchdog ({@link dev.rollback.guard.Guard}) and the lease that makes
 * one replica act ({@link dev.rollback.guard.Lease}).
 */
@NullMarked
package dev.rollback.guard;

import org.jspecify.annotations.NullMarked;
