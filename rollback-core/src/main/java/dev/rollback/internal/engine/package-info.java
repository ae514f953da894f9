/**
 * The engine's implementation: a plan or release compiled into a
 * {@link dev.rollback.internal.engine.Program}, run by {@link dev.rollback.internal.engine.Run}
 * (the policy loop) and {@link dev.rollback.internal.engine.StepRunner} (attempts, retries,
 * timeouts, in doubt), with every event through the run's one writer,
 * {@link dev.rollback.internal.engine.RunLog}. Not public API.
 */
@NullMarked
package dev.rollback.internal.engine;

import org.jspecify.annotations.NullMarked;
