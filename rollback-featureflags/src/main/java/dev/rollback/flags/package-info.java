/**
 * Feature-flag rollback: the fastest lever (milliseconds, no redeploy). A {@link dev.rollback.flags.FlagStore}
 * captures, turns off, shifts and restores a flag in a real flag system ({@link dev.rollback.flags.InMemoryFlagStore}
 * for OpenFeature's in-process provider, {@link dev.rollback.flags.FlagdFileStore} for flagd flag files,
 * {@link dev.rollback.flags.UnleashFlagStore} for the Unleash admin API); {@link dev.rollback.flags.FeatureFlags}
 * makes one flag of a store a {@link dev.rollback.spi.StateAdapter} and derives plan steps and release changes from it
 * with {@link dev.rollback.spi.StateSteps}; {@link dev.rollback.flags.PropagationCheck} tells whether an OpenFeature
 * client sees a write; {@link dev.rollback.flags.FlagSignalHook} feeds evaluations into the guard's
 * signals; {@link dev.rollback.flags.Bucketing} predicts which users a percentage change affects.
 */
@NullMarked
package dev.rollback.flags;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import org.jspecify.annotations.NullMarked;
