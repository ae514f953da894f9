package dev.rollback.lb;

/** What the load balancer's own health checks see for a server. Observed only; never restored. */
public enum Operational {
  UP,
  DOWN,
  /** The load balancer does not check this server (NGINX open source has no active checks). */
  UNKNOWN
}
