package dev.rollback.lb;

/**
 * A server's cumulative counters as HAProxy's {@code show stat} reports them: HTTP responses by
 * class, and the status column (e.g. {@code UP}, {@code DOWN}, {@code DRAIN}, {@code MAINT}).
 * Take two readings and subtract to get a rate; a guard can use the 5xx share as its signal.
 */
public record ServerCounters(String backend, String server, long responses, long responses5xx, String status) {

  /** The counters accumulated since {@code earlier}. */
  public ServerCounters since(ServerCounters earlier) {
    return new ServerCounters(backend, server, responses - earlier.responses, responses5xx - earlier.responses5xx,
        status);
  }
}
