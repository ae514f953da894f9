package dev.rollback.notify;

import dev.rollback.Deployment;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import java.time.Instant;
import java.util.Map;

final class Samples {
  private Samples() {}

  static Notification notification(NotificationKind kind) {
    return new Notification(kind, "on-call", "checkout-1-abc", "checkout-2.4.0", Deployment.of("checkout", "2.4.0"),
        "Rolling back checkout@2.4.0", "Plan 'checkout-2.4.0' started: error ratio 0.12 > 0.05 over PT30S",
        Map.of("reason", "error ratio 0.12 > 0.05"), "checkout-1-abc:notify", Instant.parse("2026-11-26T22:00:00Z"));
  }
}
