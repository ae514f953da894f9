package dev.rollback;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A message for one audience about one moment of a run, filled with the run's facts.
 *
 * @param dedupKey stable for the run (its idempotency key), so a page can be resolved later
 */
public record Notification(
    NotificationKind kind,
    String audience,
    String runId,
    String plan,
    Deployment deployment,
    String title,
    String text,
    Map<String, String> facts,
    String dedupKey,
    Instant at) {
  public Notification {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(text, "text");
    facts = Map.copyOf(facts);
  }
}
