/**
 * Detection: health checks ({@link dev.rollback.detect.HealthCheck}), signals
 * ({@link dev.rollback.detect.Signal}, {@link dev.rollback.detect.RequestRecorder}) and the rules
 * that judge them ({@link dev.rollback.detect.Trigger}). A trigger is a description; each run or
 * guard evaluates it with its own {@link dev.rollback.detect.Trigger.Evaluator}.
 */
@NullMarked
package dev.rollback.detect;

import org.jspecify.annotations.NullMarked;
