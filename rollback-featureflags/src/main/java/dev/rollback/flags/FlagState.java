package dev.rollback.flags;

import dev.rollback.Snapshot;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A flag's state in one store: whether the flag is on, how it splits users when it is, and the
 * store's own definition of the flag (a flagd flag object, an Unleash environment's strategies).
 * Travels through the journal as a {@link Snapshot}.
 *
 * <p>Two kinds, told apart by {@link #hasDefinition()}:
 * <ul>
 *   <li>a state <em>captured</em> by {@link FlagStore#read}: it has the native definition, and
 *       setting a flag to it ({@link FlagStore#restore}) writes that definition back verbatim;
 *   <li>a <em>target</em> made with {@link #off(String)} or {@link #on(String, Rollout)}: no
 *       definition; setting a flag to it is the kill switch ({@link FlagStore#disable}) or
 *       {@link FlagStore#setRollout}.
 * </ul>
 *
 * @param flag the flag's key
 * @param enabled whether any user can get the feature; when false everyone gets the off path
 * @param rollout how users are split while enabled
 * @param definition the store's native definition, restored verbatim; empty for a target
 */
public record FlagState(String flag, boolean enabled, Rollout rollout, String definition) {
  static final String FLAG = "flag";
  static final String ENABLED = "enabled";
  static final String ROLLOUT = "rollout";
  static final String DEFINITION = "definition";

  public FlagState {
    Objects.requireNonNull(flag, "flag");
    Objects.requireNonNull(rollout, "rollout");
    Objects.requireNonNull(definition, "definition");
  }

  /** The target "off for everyone": the kill switch. */
  public static FlagState off(String flag) {
    return new FlagState(requireFlag(flag), false, Rollout.all(), "");
  }

  /**
   * The target "on with {@code rollout}" (a percentage or variant weights). A custom rollout is
   * refused: it can only be restored from a captured state.
   */
  public static FlagState on(String flag, Rollout rollout) {
    Objects.requireNonNull(rollout, "rollout");
    if (rollout instanceof Rollout.Custom) {
      throw new IllegalArgumentException("flag '" + flag + "': a custom rollout can only be restored from a captured state");
    }
    return new FlagState(requireFlag(flag), true, rollout, "");
  }

  /** Whether this state carries the store's native definition (captured by a read), rather than being a target. */
  public boolean hasDefinition() {
    return !definition.isEmpty();
  }

  /** The journaled form. */
  public Snapshot toSnapshot() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put(FLAG, flag);
    m.put(ENABLED, Boolean.toString(enabled));
    m.put(ROLLOUT, rollout.encode());
    m.put(DEFINITION, definition);
    return Snapshot.of(m);
  }

  /** Reads back {@link #toSnapshot()}; the error names the missing key. */
  public static FlagState fromSnapshot(Snapshot s) {
    return new FlagState(s.require(FLAG), Boolean.parseBoolean(s.require(ENABLED)),
        Rollout.decode(s.require(ROLLOUT)), s.require(DEFINITION));
  }

  /** Whether users can be predicted for this state (false for a custom targeting rule). */
  public boolean isPredictable() {
    return !enabled || !(rollout instanceof Rollout.Custom);
  }

  /**
   * Whether {@code targetingKey} gets the feature under this state, by {@code bucketing}. For
   * weights, "gets the feature" means "is not in {@code offVariant}".
   */
  public boolean isOnFor(String targetingKey, Bucketing bucketing, String offVariant) {
    if (!enabled) return false;
    if (rollout instanceof Rollout.Percentage p) return bucketing.isIn(flag, targetingKey, p.percent());
    if (rollout instanceof Rollout.Weights w) return !bucketing.variant(flag, targetingKey, w).equals(offVariant);
    throw new IllegalStateException("flag '" + flag + "' has a custom targeting rule; users cannot be predicted");
  }

  /** One line for notes and error messages, without the native definition. */
  public String describe() {
    return "flag '" + flag + "' " + (enabled ? "on, rollout " + rollout.encode() : "off");
  }

  private static String requireFlag(String flag) {
    Objects.requireNonNull(flag, "flag");
    if (flag.isBlank()) throw new IllegalArgumentException("flag key must not be blank");
    return flag;
  }

  @Override
  public String toString() {
    return "FlagState[" + describe() + "]";
  }
}
