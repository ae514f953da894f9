/**
 * Detection internals: health-check probes (HTTP, TCP, composite, Prometheus), signal
 * implementations, trigger rules, statistics and the in-JVM lease. Not public API.
 */
@NullMarked
package dev.rollback.internal.detect;

import org.jspecify.annotations.NullMarked;
