/** Runnable examples and the drill demo. Not published. */
@NullMarked
package dev.rollback.examples;

import org.jspecify.annotations.NullMarked;
