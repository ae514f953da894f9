package dev.rollback.internal.engine;

import dev.rollback.internal.communication.NotificationDispatcher;
import dev.rollback.internal.communication.PageEscalation;
import dev.rollback.journal.JournalEvent;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;

/** The journal events of the notification machinery's outcome maps. */
public final class Notices {
  private Notices() {}

  /** A delivery outcome ({@link NotificationDispatcher}) as the event that journals it. */
  public static JournalEvent.NotificationSent notification(Map<String, Object> d) {
    Object attempts = d.get("attempts");
    Object from = d.get("escalatedFrom");
    return new JournalEvent.NotificationSent(str(d, "kind"), str(d, "audience"), str(d, "channel"), str(d, "status"),
        attempts instanceof Number n ? n.intValue() : 0, d.containsKey("error") ? str(d, "error") : "",
        from == null ? null : String.valueOf(from));
  }

  /** An escalation ({@link PageEscalation}) as the event that journals it. */
  public static JournalEvent.Escalated escalated(Map<String, Object> d) {
    Duration after;
    try {
      after = Duration.parse(str(d, "after"));
    } catch (DateTimeParseException e) {
      after = Duration.ZERO;
    }
    Object gate = d.get("gateId");
    return new JournalEvent.Escalated(str(d, "kind"), str(d, "from"), str(d, "to"), after, str(d, "reason"),
        gate == null ? null : String.valueOf(gate));
  }

  private static String str(Map<String, Object> d, String key) {
    Object v = d.get(key);
    return v == null ? "" : String.valueOf(v);
  }
}
