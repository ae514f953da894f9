/** Implementation helpers of rollback-swarm; not API. */
@NullMarked
package dev.rollback.swarm.internal;

import org.jspecify.annotations.NullMarked;
