package dev.rollback;

import java.util.Optional;

/** {@link StepLease#none()}. */
final class NoLease implements StepLease {
  static final NoLease INSTANCE = new NoLease();

  private NoLease() {}

  @Override public boolean isPresent() { return false; }
  @Override public String name() { return ""; }
  @Override public String holder() { return ""; }
  @Override public long token() { return 0; }
  @Override public boolean stillHeld() { return true; }
  @Override public String lostBecause() { return ""; }
  @Override public void check() { }
  @Override public <T> Optional<T> unwrap(Class<T> type) { return Optional.empty(); }

  @Override
  public String toString() {
    return "StepLease.none()";
  }
}
