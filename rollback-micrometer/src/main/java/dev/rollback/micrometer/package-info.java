/**
 * Micrometer meters as guard signals, and the engine's own metrics. Coming with the detection issue.
 */
@NullMarked
package dev.rollback.micrometer;

import org.jspecify.annotations.NullMarked;
