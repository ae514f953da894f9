package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.GateRequest;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackRun;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RunHistory;
import dev.rollback.test.Fault;
import dev.rollback.test.FaultProxy;
import dev.rollback.test.RecordingNotifier;
import dev.rollback.test.RollbackAssertions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Fault injection on a real SMTP server (GreenMail in the test JVM): the e-mail channel reaches it
 * through a {@link FaultProxy} that hangs every connection (no greeting, ever) while a rollback
 * runs and waits at an approval gate whose page goes to that channel.
 */
class NotifierFaultIT {
  private static final Duration HANG_GUARD = Duration.ofMinutes(2);

  private GreenMail smtp;
  private FaultProxy proxy;

  @BeforeEach
  void start() throws Exception {
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    proxy = FaultProxy.tcp(smtp.getSmtp().getPort());
  }

  @AfterEach
  void stop() {
    proxy.close();
    smtp.stop();
  }

  @Test
  void aHangingMailServerDelaysNeitherTheGateNorTheHaltAndResumeFinishesWithTheMailDelivered() throws Exception {
    // a hang far longer than the test: only the channel's own timeout would end it
    EmailNotifier email = EmailNotifier.smtp("127.0.0.1", proxy.port()).withTimeout(Duration.ofMinutes(10))
        .from("rollback@example.com").to("oncall@example.com");
    RecordingNotifier chat = RecordingNotifier.named("chat");
    CommunicationPlan comms = CommunicationPlan.builder().audience("on-call", email, chat).routeAll("on-call").build();
    RollbackPlan plan = Plans.withApproval(comms, Duration.ofHours(1));
    InMemoryJournal journal = InMemoryJournal.create();
    proxy.inject(Fault.hang());

    String runId;
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun run = engine.start(plan, Deployment.of("checkout", "2.4.0"));
      runId = run.runId();
      GateRequest gate = run.awaitGate(HANG_GUARD);
      assertThat(gate.gate()).isEqualTo("dba");
      proxy.awaitApplied(1); // the e-mail channel is stuck on the mail server
      // the other channel of the audience got the page although e-mail hangs
      assertThat(awaitKind(chat, NotificationKind.HUMAN_NEEDED)).isTrue();

      run.answer(gate.id(), Decision.HALT, "dba");
      RollbackResult halted = run.await(HANG_GUARD);
      assertThat(halted.outcome()).isEqualTo(RunOutcome.HALTED);
      assertThat(halted.summary()).contains("dba");
      RollbackAssertions.assertThat(journal).hasIntactRun(runId);
      assertThat(smtp.getReceivedMessages()).isEmpty();
      proxy.heal(); // the hung connections are closed: the channel fails and retries on the healed server
    }

    try (RollbackEngine engine = RollbackEngine.builder().withJournal(journal).build()) {
      RollbackRun resumed = engine.resume(runId, plan);
      GateRequest again = resumed.awaitGate(HANG_GUARD);
      assertThat(again.id()).endsWith("#2");
      resumed.answer(again.id(), Decision.PROCEED, "dba");
      assertThat(resumed.await(HANG_GUARD).outcome()).isEqualTo(RunOutcome.RECOVERED);
    }
    assertThat(smtp.waitForIncomingEmail(HANG_GUARD.toMillis(), 1)).isTrue();
    RollbackAssertions.assertThat(journal).hasIntactRun(runId);
    RunHistory history = RunHistory.of(journal.read(runId));
    assertThat(history.outcome()).contains("RECOVERED");
    List<JournalRecord> mail = journal.read(runId).records().stream()
        .filter(r -> r.type().equals("NOTIFICATION") && r.stringOr("channel", "").equals(email.name())).toList();
    assertThat(mail).as("e-mail deliveries journaled").isNotEmpty()
        .anySatisfy(r -> assertThat(r.stringOr("status", "")).isEqualTo("SENT"));
  }

  /** Waits on the channel's own notification of a send, with a ceiling that only guards against a hang. */
  private static boolean awaitKind(RecordingNotifier chat, NotificationKind kind) throws InterruptedException {
    for (int n = 1; n <= 20; n++) {
      List<Notification> sent = chat.awaitSent(n, HANG_GUARD);
      if (sent.stream().anyMatch(x -> x.kind() == kind)) return true;
    }
    return false;
  }
}
