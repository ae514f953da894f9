/**
 * Test support for rollback plans: AssertJ assertions ({@link dev.rollback.test.RollbackAssertions}),
 * scripted steps ({@link dev.rollback.test.ScriptedStep}) and simulated incidents on virtual time
 * ({@link dev.rollback.test.Simulation}).
 */
@NullMarked
package dev.rollback.test;

import org.jspecify.annotations.NullMarked;
