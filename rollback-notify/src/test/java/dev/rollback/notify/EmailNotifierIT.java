package dev.rollback.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.NotificationKind;
import jakarta.mail.internet.MimeMessage;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against GreenMail: a real SMTP server in the test JVM, on a free loopback port. */
class EmailNotifierIT {
  private GreenMail smtp;
  private EmailNotifier email;

  @BeforeEach
  void start() {
    smtp = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    smtp.start();
    email = EmailNotifier.smtp("127.0.0.1", smtp.getSmtp().getPort())
        .from("rollback@example.com").to("oncall@example.com", "eng@example.com");
  }

  @AfterEach
  void stop() {
    smtp.stop();
  }

  @Test
  void deliversOneMessagePerRecipientWithTheIncidentHeaderForThreading() throws Exception {
    email.send(Samples.notification(NotificationKind.ROLLBACK_TRIGGERED));
    email.send(Samples.notification(NotificationKind.ROLLBACK_COMPLETED));

    assertThat(smtp.waitForIncomingEmail(5000, 4)).isTrue();
    MimeMessage[] received = smtp.getReceivedMessages();
    assertThat(received).hasSize(4);
    MimeMessage first = received[0];
    assertThat(first.getSubject()).isEqualTo("[rollback] Rolling back checkout@2.4.0");
    assertThat(first.getHeader(EmailNotifier.INCIDENT_HEADER)).containsExactly("checkout-1-abc");
    assertThat(first.getHeader("References")).containsExactly(EmailNotifier.incidentMessageId("checkout-1-abc"));
    assertThat(first.getHeader("In-Reply-To")).containsExactly(EmailNotifier.incidentMessageId("checkout-1-abc"));
    assertThat(GreenMailUtil.getBody(first)).contains("error ratio 0.12 > 0.05").contains("run: checkout-1-abc");
    assertThat(received).extracting(m -> GreenMailUtil.getAddressList(m.getAllRecipients()))
        .allSatisfy(to -> assertThat(to).contains("oncall@example.com"));
  }

  @Test
  void aServerThatIsNotThereIsARetryableFailure() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    EmailNotifier nowhere = EmailNotifier.smtp("127.0.0.1", closedPort).withTimeout(Duration.ofSeconds(2))
        .from("rollback@example.com").to("oncall@example.com");

    assertThatThrownBy(() -> nowhere.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isFalse())
        .hasMessageContaining("127.0.0.1:" + closedPort);
  }

  @Test
  void withoutRecipientsItFailsPermanently() {
    EmailNotifier none = EmailNotifier.smtp("127.0.0.1", smtp.getSmtp().getPort()).from("rollback@example.com");

    assertThatThrownBy(() -> none.send(Samples.notification(NotificationKind.STEP_FAILED)))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isTrue())
        .hasMessageContaining("no to address");
  }

  @Test
  void refusesAnInvalidAddressNamingIt() {
    assertThatThrownBy(() -> email.to("not an address"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'not an address'");
  }

  @Test
  void neverPrintsThePassword() {
    EmailNotifier withAuth = email.withCredentials("rollback", Secret.of("smtp-pa55word"));
    assertThat(withAuth.toString()).doesNotContain("smtp-pa55word").contains("password=***");
  }
}
