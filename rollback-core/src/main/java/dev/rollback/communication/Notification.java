package dev.rollback.communication;

import dev.rollback.Deployment;
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
  /**
   * The de-duplication key the engine gives every notification of run {@code runId}: PagerDuty's
   * {@code dedup_key} / {@code incident_key}, so one run is one alert.
   */
  public static String dedupKeyFor(String runId) {
    return Objects.requireNonNull(runId, "runId") + ":notify";
  }

  /** The run id of a key made by {@link #dedupKeyFor}, or empty for any other key. */
  public static java.util.Optional<String> runIdOf(String dedupKey) {
    return dedupKey != null && dedupKey.endsWith(":notify") && dedupKey.length() > ":notify".length()
        ? java.util.Optional.of(dedupKey.substring(0, dedupKey.length() - ":notify".length()))
        : java.util.Optional.empty();
  }

  public Notification {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(audience, "audience");
    Objects.requireNonNull(title, "title");
    Objects.requireNonNull(text, "text");
    facts = Map.copyOf(facts);
  }
}
