package dev.rollback;

/** Reaches {@link RollbackEngine}'s rehearsal from tests in other packages. */
public final class EngineWarmUp {
  private EngineWarmUp() {}

  public static RollbackResult rehearse() {
    return RollbackEngine.rehearse();
  }
}
