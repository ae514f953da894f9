package dev.rollback.engine;

/**
 * Hears {@link RollbackEvent}s, synchronously on the thread that made them. Must be quick; an
 * exception it throws is logged and otherwise ignored.
 */
@FunctionalInterface
public interface RollbackListener {
  void onEvent(RollbackEvent event);
}
