package dev.rollback.internal.engine;

import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackListener;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Delivers events to listeners; a listener that throws is logged and never breaks the run. */
public final class EventBus {
  private static final Logger log = LoggerFactory.getLogger(EventBus.class);
  private final List<RollbackListener> listeners;

  public EventBus(List<RollbackListener> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  /** No listener: callers on a hot path need not build the event at all. */
  public boolean isEmpty() {
    return listeners.isEmpty();
  }

  public void emit(RollbackEvent event) {
    for (int i = 0; i < listeners.size(); i++) {
      try {
        listeners.get(i).onEvent(event);
      } catch (Throwable t) {
        log.warn("listener {} threw on {}; ignored", listeners.get(i), event.getClass().getSimpleName(), t);
      }
    }
  }
}
