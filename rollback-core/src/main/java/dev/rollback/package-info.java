/**
 * The model and the DSL: what a rollback is, not how it runs. A {@link dev.rollback.RollbackPlan}
 * (rollback mode: stages of {@link dev.rollback.Step}s) or a {@link dev.rollback.Release} (deploy
 * with automatic rollback: {@link dev.rollback.Change}s with health gates), their
 * {@link dev.rollback.Gate}s and {@link dev.rollback.Snapshot}s, and how a run ends
 * ({@link dev.rollback.StepOutcome}, {@link dev.rollback.RollbackResult}). Run them with
 * {@code dev.rollback.engine.RollbackEngine}; nothing here depends on the engine.
 */
@NullMarked
package dev.rollback;

import org.jspecify.annotations.NullMarked;
