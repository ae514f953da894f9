package dev.rollback.k8s;

/**
 * A workload's rollout as {@code kubectl rollout status} sees it.
 *
 * @param state   progressing, complete or failed
 * @param message a sentence, e.g. {@code 1 of 3 updated replicas are available}, or the
 *                ProgressDeadlineExceeded condition's own message
 */
public record RolloutStatus(State state, String message) {

  public enum State { PROGRESSING, COMPLETE, FAILED }

  public boolean isComplete() { return state == State.COMPLETE; }

  public boolean isFailed() { return state == State.FAILED; }

  @Override
  public String toString() {
    return state + ": " + message;
  }
}
