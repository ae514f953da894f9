/**
 * Micrometer and Rollback: meters as guard signals ({@link dev.rollback.micrometer.MicrometerSignals},
 * e.g. the {@code http.server.requests} timers Spring Boot and others publish, counted by status),
 * and the engine's and guard's own metrics ({@link dev.rollback.micrometer.RollbackMetrics}).
 */
@NullMarked
package dev.rollback.micrometer;

import org.jspecify.annotations.NullMarked;
