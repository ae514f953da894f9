package dev.rollback.flags;

import dev.rollback.StepLease;

/**
 * Writes to one flag system. OpenFeature only evaluates flags; writing them is each backend's
 * own API, and this SPI is the part the rollback needs: capture, kill, shift, restore exactly.
 *
 * <p>Every method names the store and the flag in its errors. A write either lands completely or
 * leaves the previous state in place and says so ({@link PartialWriteException} where a backend
 * needs more than one request).
 */
public interface FlagStore {

  /** Where the flags live, e.g. {@code flagd file /etc/flags.json}; never contains a secret. */
  String describe();

  /** The flag's current state. Throws {@link UnknownFlagException} if there is no such flag. */
  FlagState read(String flag);

  /** The kill switch: one write that turns the feature off for everyone. */
  void disable(String flag);

  /** Turns the flag on with {@code rollout}; the ramp-up and shift-down lever. */
  void setRollout(String flag, Rollout rollout);

  /** Writes {@code state} back exactly as it was captured. */
  void restore(FlagState state);

  /**
   * {@link #disable(String)} by a replica acting under {@code lease}: the lease is checked
   * immediately before every write (each request, or the file swap), and where the store can, the
   * write is conditional on the lease's fencing token (see the store). A replica that lost the
   * lease writes nothing more and gets a {@link dev.rollback.LeaseLostException}. The default checks
   * it once, right before {@link #disable(String)}.
   */
  default void disable(String flag, StepLease lease) {
    lease.check();
    disable(flag);
  }

  /** {@link #setRollout(String, Rollout)} under {@code lease}, as {@link #disable(String, StepLease)}. */
  default void setRollout(String flag, Rollout rollout, StepLease lease) {
    lease.check();
    setRollout(flag, rollout);
  }

  /** {@link #restore(FlagState)} under {@code lease}, as {@link #disable(String, StepLease)}. */
  default void restore(FlagState state, StepLease lease) {
    lease.check();
    restore(state);
  }

  /**
   * Whether two native definitions of {@code flag}, as {@link #read} returns them, give every user
   * the same answer. Used only for targeting this library does not interpret
   * ({@link Rollout.Custom}), where the definition is the only account of who gets what. Equal
   * text by default; a store whose reads carry values the server assigns compares without them.
   */
  default boolean sameRule(String flag, String definition, String other) {
    return definition.equals(other);
  }

  /** How this store assigns users to buckets, to predict who a change affects. */
  Bucketing bucketing();

  /** The variant users get when a percentage turns the feature on for them (used to predict non-boolean flags). */
  default String onVariant(String flag) {
    return "on";
  }

  /** The variant users get when the feature is off for them (used to predict evaluations). */
  default String offVariant(String flag) {
    return "off";
  }

  /**
   * The value each variant of {@code flag} serves, where the store defines them (a flagd file,
   * the in-memory store); empty where a variant is only a name (Unleash: the payload is
   * optional). A {@link PropagationCheck} compares values where it knows them, since not every
   * provider reports the variant name it chose.
   */
  default java.util.Map<String, Object> variantValues(String flag) {
    return java.util.Map.of();
  }
}
