package dev.rollback.engine;

import dev.rollback.RollbackResult;

/** Reaches {@link RollbackEngine}'s rehearsal from tests in other packages. */
public final class EngineWarmUp {
  private EngineWarmUp() {}

  public static RollbackResult rehearse() {
    return RollbackEngine.rehearse();
  }
}
