/**
 * Notification channels and the human side of gates. {@link dev.rollback.notify.SlackNotifier},
 * {@link dev.rollback.notify.PagerDutyNotifier}, {@link dev.rollback.notify.WebhookNotifier} and
 * {@link dev.rollback.notify.EmailNotifier} implement core's {@link dev.rollback.communication.Notifier} and go
 * into a {@link dev.rollback.communication.CommunicationPlan}; {@link dev.rollback.notify.GateEndpoint} (HTTP) and
 * {@link dev.rollback.notify.GateAnswerFiles} (file/CLI) answer gates;
 * {@link dev.rollback.notify.GateEndpoint} also takes acknowledgements of a run's page (and PagerDuty
 * webhooks), and {@link dev.rollback.notify.PagerDutyAcknowledgements} keeps a run's acknowledgement
 * and its PagerDuty alert in step. Escalation of unacknowledged pages is core's (the engine's clock).
 * Every secret is a {@link dev.rollback.notify.Secret}, which never prints itself.
 */
@NullMarked
package dev.rollback.notify;

import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notifier;
import org.jspecify.annotations.NullMarked;
