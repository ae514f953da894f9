/** Core's step types (http checks, waits, approval gates) and the map-backed {@code Arguments}. */
@NullMarked
package dev.rollback.internal.spi;

import org.jspecify.annotations.NullMarked;
