/**
 * Implementation of the engine, the journal codec and the schedulers. Not public API: anything
 * here may change without notice.
 */
@NullMarked
package dev.rollback.internal;

import org.jspecify.annotations.NullMarked;
