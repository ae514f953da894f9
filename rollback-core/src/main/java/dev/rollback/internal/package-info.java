/**
 * Implementation shared by the engine and the guard (timers, duration wording). Not public API:
 * anything under {@code dev.rollback.internal} may change without notice, and no other module may
 * use it.
 */
@NullMarked
package dev.rollback.internal;

import org.jspecify.annotations.NullMarked;
