package dev.rollback.spi;

import java.util.Objects;

/**
 * Whether a system has converged on a target after it was set, from one observation: a rollout
 * finished, clients see the flag. {@link StateSteps} polls {@link StateAdapter#settled} until it
 * is {@link State#SETTLED}, stops at once on {@link State#FAILED}, and otherwise gives up after the
 * timeout given to {@link StateSteps#awaitingSettled}.
 *
 * @param state settled, not yet, or failed (it will not settle: a rollout past its progress deadline)
 * @param detail what was observed, for notes and errors ({@code "2 of 3 updated replicas are available"})
 */
public record Settled(State state, String detail) {

  public enum State { SETTLED, NOT_YET, FAILED }

  public Settled {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(detail, "detail");
  }

  /** The system has converged on the target. */
  public static Settled yes(String detail) {
    return new Settled(State.SETTLED, detail);
  }

  /** Still converging: ask again later. */
  public static Settled notYet(String detail) {
    return new Settled(State.NOT_YET, detail);
  }

  /** It will not converge without help; waiting longer is pointless. */
  public static Settled failed(String detail) {
    return new Settled(State.FAILED, detail);
  }

  public boolean isSettled() { return state == State.SETTLED; }

  public boolean isFailed() { return state == State.FAILED; }

  @Override
  public String toString() {
    return state + ": " + detail;
  }
}
