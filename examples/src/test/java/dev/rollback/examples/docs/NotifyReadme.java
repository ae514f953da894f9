package dev.rollback.examples.docs;

import dev.rollback.Deployment;
import dev.rollback.RollbackPlan;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.Journal;
import dev.rollback.notify.EmailNotifier;
import dev.rollback.notify.GateEndpoint;
import dev.rollback.notify.PagerDutyAcknowledgements;
import dev.rollback.notify.PagerDutyNotifier;
import dev.rollback.notify.Secret;
import dev.rollback.notify.SlackNotifier;
import dev.rollback.report.HtmlReport;
import dev.rollback.report.PostMortem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;

/** What the examples of rollback-notify/README.md take as given. */
abstract class NotifyReadme {
  Clock clock;
  Journal journal;                    // the engine's journal
  String runId;
  Path dir;                           // where the reports go
}
