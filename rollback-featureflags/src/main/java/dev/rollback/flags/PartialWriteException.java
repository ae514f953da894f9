package dev.rollback.flags;

import java.util.List;

/**
 * A change that needs several writes (restoring an Unleash flag's strategies and its environment
 * switch) failed part-way. Carries the state the flag had before the change, so nothing is lost,
 * and the writes that did land, so a human (or a retry) knows where it stands.
 */
public final class PartialWriteException extends FlagException {
  private static final long serialVersionUID = 1L;
  private final FlagState previous;
  private final List<String> applied;

  public PartialWriteException(String store, FlagState previous, List<String> applied, FlagException cause) {
    super("partial write to flag '" + previous.flag() + "' in " + store + ": " + cause.getMessage()
        + "; writes that landed: " + (applied.isEmpty() ? "none" : String.join(", ", applied))
        + "; state before the change (restore it with FlagStore.restore): " + previous.describe(), cause);
    this.previous = previous;
    this.applied = List.copyOf(applied);
  }

  /** The flag's state before the change began. */
  public FlagState previous() { return previous; }

  /** The writes that landed before the failure, in order. */
  public List<String> applied() { return applied; }
}
