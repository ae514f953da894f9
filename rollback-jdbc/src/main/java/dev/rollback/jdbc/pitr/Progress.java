package dev.rollback.jdbc.pitr;

import dev.rollback.StepContext;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Where a long restore reports what it did: the step's journal (checkpoints and notes) and the log. */
interface Progress {
  Logger log = LoggerFactory.getLogger(Progress.class);

  void checkpoint(String key, String value);

  void note(String message);

  Map<String, String> checkpoints();

  /** Outside an engine run: the log only. */
  static Progress logOnly() {
    return new Progress() {
      @Override
      public void checkpoint(String key, String value) {
        log.debug("{} = {}", key, value);
      }

      @Override
      public void note(String message) {
        log.info(message);
      }

      @Override
      public Map<String, String> checkpoints() {
        return Map.of();
      }
    };
  }

  /** Inside a step: journaled with it, and logged. */
  static Progress of(StepContext ctx) {
    return new Progress() {
      @Override
      public void checkpoint(String key, String value) {
        ctx.checkpoint(key, value);
      }

      @Override
      public void note(String message) {
        log.info("{}: {}", ctx.stepPath(), message);
        ctx.note(message);
      }

      @Override
      public Map<String, String> checkpoints() {
        return ctx.checkpoints();
      }
    };
  }

  /** Waits {@code millis} of real time (a real server is being polled). */
  static void pause(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PitrException("interrupted while waiting for PostgreSQL", e);
    }
  }
}
