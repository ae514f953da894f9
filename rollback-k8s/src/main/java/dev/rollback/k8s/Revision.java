package dev.rollback.k8s;

import dev.rollback.Snapshot;
import java.util.Objects;

/**
 * Which revision an undo goes back to: the previous one ({@code kubectl rollout undo}), a given
 * number ({@code --to-revision}), or one captured earlier as a {@link Snapshot} (the known-good
 * revision recorded when a release started).
 */
public sealed interface Revision {

  /** The revision before the current one. */
  static Revision previous() {
    return Previous.INSTANCE;
  }

  /** Revision {@code number} as {@code kubectl rollout history} lists it. */
  static Revision number(long number) {
    if (number <= 0) throw new IllegalArgumentException("revision number must be positive: " + number);
    return new Numbered(number);
  }

  /** The revision a snapshot from {@code captureRevision()} recorded (found again by its pod-template-hash). */
  static Revision captured(Snapshot snapshot) {
    return new Captured(Objects.requireNonNull(snapshot, "snapshot"));
  }

  enum Previous implements Revision {
    INSTANCE;

    @Override
    public String toString() { return "the previous revision"; }
  }

  record Numbered(long number) implements Revision {
    @Override
    public String toString() { return "revision " + number; }
  }

  record Captured(Snapshot snapshot) implements Revision {
    @Override
    public String toString() {
      return "the captured revision " + snapshot.get(Snapshots.REVISION).orElse("?")
          + snapshot.get(Snapshots.HASH).map(h -> " (pod-template-hash " + h + ")").orElse("");
    }
  }
}
