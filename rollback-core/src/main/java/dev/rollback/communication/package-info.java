/**
 * Who hears about a run and how: the {@link dev.rollback.communication.CommunicationPlan}
 * (audiences, routes, templates, escalation) and the {@link dev.rollback.communication.Notifier}
 * SPI that channels (Slack, PagerDuty, webhooks, e-mail in {@code rollback-notify}) implement.
 * Delivery never blocks or fails a rollback.
 */
@NullMarked
package dev.rollback.communication;

import org.jspecify.annotations.NullMarked;
