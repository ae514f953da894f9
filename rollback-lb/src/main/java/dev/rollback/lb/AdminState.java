package dev.rollback.lb;

/**
 * What the operator (or this library) set for a server, as opposed to what its health checks see.
 * HAProxy: {@code set server B/S state ready|drain|maint}. NGINX: {@code down} is {@link #MAINT};
 * NGINX open source has no drain, so {@link #DRAIN} is written as {@code down} too, and in-flight
 * requests still finish because a reload is graceful.
 */
public enum AdminState {
  /** Takes new traffic according to its weight. */
  READY,
  /** Takes no new traffic (HAProxy keeps checking it and serves persistent sessions); in-flight requests finish. */
  DRAIN,
  /** Out of the pool: no new traffic and, in HAProxy, no health checks. */
  MAINT
}
