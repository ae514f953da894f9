/**
 * Test support for rollback plans and for the modules that add systems to them: AssertJ
 * assertions ({@link dev.rollback.test.RollbackAssertions}), simulated incidents on virtual time
 * ({@link dev.rollback.test.Simulation}), and doubles — scripted steps, checks, signals and
 * triggers ({@link dev.rollback.test.ScriptedStep}, {@link dev.rollback.test.ScriptedCheck},
 * {@link dev.rollback.test.ScriptedSignal}, {@link dev.rollback.test.ScriptedTrigger}), a step
 * context for calling a step's parts directly ({@link dev.rollback.test.FakeStepContext}), a
 * notifier that records and fails on demand ({@link dev.rollback.test.RecordingNotifier}) and an
 * in-memory system ({@link dev.rollback.test.FakeStateAdapter}) — plus the contract test every
 * {@link dev.rollback.spi.StateAdapter} runs against its real system
 * ({@link dev.rollback.test.StateAdapterContract}). For proving that no secret leaks: a loopback
 * server that echoes every request back in an error reply ({@link dev.rollback.test.EchoingHttpServer}),
 * every text a run leaves ({@link dev.rollback.test.RunOutputs}) and the captured log lines
 * ({@link dev.rollback.test.CapturedLog}). Scripted doubles take their script when they
 * are made; methods that return a changed copy are named {@code with*}.
 */
@NullMarked
package dev.rollback.test;

import dev.rollback.spi.StateAdapter;
import org.jspecify.annotations.NullMarked;
