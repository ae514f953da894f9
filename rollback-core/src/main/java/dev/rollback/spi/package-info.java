/**
 * The step SPI for systems: implement a {@link dev.rollback.spi.StateAdapter} (read the state of
 * one kind of object, set it to an absolute target, encode it for the journal with a
 * {@link dev.rollback.spi.SnapshotCodec}) and {@link dev.rollback.spi.StateSteps} derives the plan
 * steps and release changes from it — known-good capture, undo snapshot, undo, reconcile by
 * reading back, idempotence, optional waiting until the system has
 * {@link dev.rollback.spi.Settled settled} — so every module keeps the same contract without
 * writing it again. {@code rollback-test} has the contract test every adapter runs.
 *
 * <p>Plan files name steps and systems by type: a module registers its
 * {@link dev.rollback.spi.StepType}s and {@link dev.rollback.spi.TargetType}s with
 * {@link java.util.ServiceLoader}, each declaring typed {@link dev.rollback.spi.Parameter}s, and
 * receives checked {@link dev.rollback.spi.Arguments}.
 */
@NullMarked
package dev.rollback.spi;

import org.jspecify.annotations.NullMarked;
