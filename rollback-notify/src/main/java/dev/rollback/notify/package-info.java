/**
 * Notification channels (Slack, PagerDuty, webhooks, e-mail) and the HTTP endpoint that answers gates. Coming with the notify issue.
 */
@NullMarked
package dev.rollback.notify;

import org.jspecify.annotations.NullMarked;
