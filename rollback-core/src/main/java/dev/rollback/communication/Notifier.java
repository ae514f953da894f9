package dev.rollback.communication;

/**
 * A channel that delivers {@link Notification}s (Slack, PagerDuty, webhook, e-mail in
 * {@code rollback-notify}). Called off the rollback's critical path, with retries; a notifier
 * that throws is reported in the journal and never fails or slows the run.
 */
public interface Notifier {

  /** A name for journals and reports; must not contain secrets. */
  String name();

  void send(Notification notification) throws Exception;
}
