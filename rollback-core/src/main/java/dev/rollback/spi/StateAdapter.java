package dev.rollback.spi;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;

/**
 * A system whose state can be read and set: one adapter per kind of object (an HAProxy backend,
 * a flag, a Swarm service). {@link StateSteps} derives the plan steps and release changes from it,
 * so the rollback contract — capture the known-good state, journal the undo snapshot, restore,
 * reconcile by reading back, be idempotent — is written once.
 *
 * <pre>{@code
 * StateAdapter<RoutingState> backend = Traffic.backend(haproxy, "checkout");
 * Step restore = StateSteps.restoreKnownGood("restore traffic checkout", backend);
 * }</pre>
 *
 * <p>What an implementation promises (the contract test in {@code rollback-test},
 * {@code StateAdapterContract}, checks it against the real system):
 * <ul>
 *   <li>{@link #apply} makes the system match an <em>absolute</em> target, never a delta, so
 *       applying the same target twice is the same as once; when the system already matches it
 *       changes nothing (no write, no reload, no new rollout);
 *   <li>{@link #read} returns the state as the system reports it, for capture and read-back;
 *   <li>{@link #codec()} round-trips a state through the journal's {@link dev.rollback.Snapshot};
 *   <li>{@link #matches} says whether an observed state satisfies a target (the default is
 *       {@code equals}; override it when a read carries what a target does not set, such as
 *       observed health or server-assigned revision numbers);
 *   <li>errors are thrown, not swallowed; {@link StateSteps} adds the step path and
 *       {@link #describe()} to them;
 *   <li>fencing: {@link StateSteps} checks {@code ctx.lease()} right before {@link #apply}; an
 *       adapter whose apply makes several requests checks it again right before each one, and
 *       where its system offers a conditional write, makes the write conditional on
 *       {@code ctx.lease().token()} (throwing {@link dev.rollback.LeaseLostException} when a higher
 *       token wrote the object).
 * </ul>
 *
 * @param <S> an immutable value (a record) describing the state: what is restored, not how
 */
public interface StateAdapter<S> {

  /**
   * The object and the system, for step sentences and errors, e.g. {@code backend checkout on
   * haproxy unix:/run/lb.sock}. Never contains a secret.
   */
  String describe();

  /** The current state. */
  S read(StepContext ctx) throws Exception;

  /**
   * Makes the system match {@code target} (absolute, not a delta); changes nothing when it already
   * does. Waiting for the system to converge belongs in {@link #settled}, not here.
   */
  void apply(S target, StepContext ctx) throws Exception;

  /** How a state travels through the journal (known-good and undo snapshots). */
  SnapshotCodec<S> codec();

  /** Whether {@code actual}, as read, satisfies {@code target}. Used to reconcile and to verify a read-back. */
  default boolean matches(S target, S actual) {
    return target.equals(actual);
  }

  /**
   * Whether the system has converged on {@code target}, from one observation (do not wait here:
   * {@link StateSteps#awaitingSettled} polls). Override for systems that take effect later than
   * they accept a write — a rollout that must complete, clients that must see a flag; a
   * {@link Settled#failed} answer stops the wait at once. The default: {@link #matches} on a fresh read.
   */
  default Settled settled(S target, StepContext ctx) throws Exception {
    S actual = read(ctx);
    return matches(target, actual) ? Settled.yes("reads " + describe(actual)) : Settled.notYet("reads " + describe(actual));
  }

  /** One state in words for notes and errors; {@code toString()} by default. */
  default String describe(S state) {
    return String.valueOf(state);
  }
}
