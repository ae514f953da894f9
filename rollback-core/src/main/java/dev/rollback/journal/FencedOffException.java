package dev.rollback.journal;

/** An append carried an older fencing token than the journal already accepted: another replica took over. */
public final class FencedOffException extends JournalException {
  private static final long serialVersionUID = 1L;

  public FencedOffException(String runId, long token, long highest) {
    super("run " + runId + ": append with fencing token " + token + " refused, token " + highest
        + " was already used; another replica holds the lease now");
  }
}
