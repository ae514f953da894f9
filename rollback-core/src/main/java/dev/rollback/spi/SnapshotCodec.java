package dev.rollback.spi;

import dev.rollback.Snapshot;
import java.util.Objects;
import java.util.function.Function;

/**
 * Turns a state into the {@link Snapshot} the journal stores, and back. {@code decode(encode(s))}
 * must {@linkplain StateAdapter#matches match} {@code s}: a snapshot is what an undo or a
 * known-good restore applies after a crash, possibly in another process or another version.
 *
 * @param <S> the adapter's state type
 */
public interface SnapshotCodec<S> {

  Snapshot encode(S state);

  /** Reads a snapshot written by {@link #encode}; an {@link IllegalArgumentException} names what is wrong with it. */
  S decode(Snapshot snapshot);

  /** A codec from two functions, e.g. {@code SnapshotCodec.of(RoutingState::toSnapshot, RoutingState::fromSnapshot)}. */
  static <S> SnapshotCodec<S> of(Function<S, Snapshot> encode, Function<Snapshot, S> decode) {
    Objects.requireNonNull(encode, "encode");
    Objects.requireNonNull(decode, "decode");
    return new SnapshotCodec<>() {
      @Override public Snapshot encode(S state) { return encode.apply(state); }
      @Override public S decode(Snapshot snapshot) { return decode.apply(snapshot); }
    };
  }
}
