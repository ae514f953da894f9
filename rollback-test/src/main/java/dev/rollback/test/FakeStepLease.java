package dev.rollback.test;

import dev.rollback.StepLease;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A {@link StepLease} a test holds and takes away: give it to
 * {@link FakeStepContext.Builder#withLease}, call {@link #lose} (in the middle of a step, from
 * an adapter's write or another thread), and assert the step writes nothing afterwards.
 *
 * <pre>{@code
 * FakeStepLease lease = FakeStepLease.held("rollback-guard-checkout@2.4.0", "pod-1", 3);
 * FakeStepContext ctx = FakeStepContext.builder().withLease(lease).build();
 * lease.lose("taken over by pod-2 (token 4)");
 * assertThatThrownBy(() -> step.action().run(ctx)).hasRootCauseInstanceOf(LeaseLostException.class);
 * }</pre>
 */
public final class FakeStepLease implements StepLease {
  private final String name;
  private final String holder;
  private final long token;
  private final @Nullable Object source;
  private volatile @Nullable String lost;

  private FakeStepLease(String name, String holder, long token, @Nullable Object source) {
    this.name = Objects.requireNonNull(name, "name");
    this.holder = Objects.requireNonNull(holder, "holder");
    if (token <= 0) throw new IllegalArgumentException("fencing token must be positive: " + token);
    this.token = token;
    this.source = source;
  }

  /** A lease {@code name} held by {@code holder} with fencing token {@code token}. */
  public static FakeStepLease held(String name, String holder, long token) {
    return new FakeStepLease(name, holder, token, null);
  }

  /** The same lease, granted by {@code source} (what {@link #unwrap} returns, e.g. a real JDBC lease). */
  public FakeStepLease grantedBy(Object source) {
    return new FakeStepLease(name, holder, token, Objects.requireNonNull(source, "source"));
  }

  /** Takes the lease away: {@link #stillHeld()} is false from now on and {@link #check()} throws. */
  public void lose(String why) {
    lost = Objects.requireNonNull(why, "why");
  }

  @Override public boolean isPresent() { return true; }
  @Override public String name() { return name; }
  @Override public String holder() { return holder; }
  @Override public long token() { return token; }
  @Override public boolean stillHeld() { return lost == null; }

  @Override
  public String lostBecause() {
    String l = lost;
    return l == null ? "" : l;
  }

  @Override
  public <T> Optional<T> unwrap(Class<T> type) {
    return type.isInstance(source) ? Optional.of(type.cast(source)) : Optional.empty();
  }

  @Override
  public String toString() {
    return "FakeStepLease[" + name + ", token " + token + ", " + holder + (lost == null ? "" : ", lost: " + lost) + "]";
  }
}
