package dev.rollback.communication;

import dev.rollback.spi.Redactor;

/**
 * A channel that delivers {@link Notification}s (Slack, PagerDuty, webhook, e-mail in
 * {@code rollback-notify}). Called off the rollback's critical path, with retries; a notifier
 * that throws is reported in the journal and never fails or slows the run.
 */
public interface Notifier {

  /** A name for journals and reports; must not contain secrets. */
  String name();

  void send(Notification notification) throws Exception;

  /**
   * Hides this channel's secrets (its webhook URL, routing key, token, password). Every failure
   * message of {@link #send} passes through it before the engine logs or journals it, so a server
   * that echoes the request back cannot leak a secret into the journal, a report or a log line.
   * The default hides nothing.
   */
  default Redactor redactor() {
    return Redactor.none();
  }
}
