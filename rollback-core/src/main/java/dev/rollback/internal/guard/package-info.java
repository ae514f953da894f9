/**
 * The guard's implementation and the in-JVM lease. Not public API.
 */
@NullMarked
package dev.rollback.internal.guard;

import org.jspecify.annotations.NullMarked;
