package dev.rollback;

import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import java.time.Instant;
import java.util.List;

/**
 * A question a run is waiting on. Answer it with {@link RollbackRun#answer} or
 * {@link RollbackEngine#answer}; {@link #onTimeout()} says what happens at {@link #deadline()}.
 *
 * @param id stable across a resume: {@code runId + "/" + stepPath + "/" + kind + "#" + n}
 */
public record GateRequest(
    String id,
    String runId,
    String gate,
    GateKind kind,
    String stepPath,
    String question,
    List<Decision> options,
    Instant openedAt,
    Instant deadline,
    Decision onTimeout) {
  public GateRequest {
    options = List.copyOf(options);
  }
}
