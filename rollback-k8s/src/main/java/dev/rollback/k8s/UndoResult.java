package dev.rollback.k8s;

/**
 * What an undo did. {@code restoredRevision} is the old revision whose template was copied back;
 * Kubernetes then gives it a new revision number (a rollback is a roll-forward). {@code skipped}
 * is true when the template already matched (nothing was written).
 *
 * @param workload   e.g. {@code deployment shop/checkout}
 * @param fromRevision the revision that was current before the undo
 * @param restoredRevision the revision whose template was restored
 * @param skipped    nothing was written because the template already matched
 * @param attempts   write attempts (more than 1 after a 409 conflict)
 * @param message    a sentence for the journal and the incident channel
 */
public record UndoResult(String workload, long fromRevision, long restoredRevision, boolean skipped,
    int attempts, String message) {

  @Override
  public String toString() {
    return message;
  }
}
