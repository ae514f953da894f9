/**
 * The engine: runs plans and releases ({@link dev.rollback.engine.RollbackEngine}), resumes them
 * from the journal, asks humans at gates, and tells listeners what happens
 * ({@link dev.rollback.engine.RollbackEvent}). {@link dev.rollback.engine.ManualClock} runs it on
 * virtual time.
 */
@NullMarked
package dev.rollback.engine;

import org.jspecify.annotations.NullMarked;
