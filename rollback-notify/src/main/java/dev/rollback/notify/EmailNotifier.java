package dev.rollback.notify;

import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.Notification;
import dev.rollback.communication.Notifier;
import dev.rollback.spi.Redactor;
import jakarta.mail.AuthenticationFailedException;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.SendFailedException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import org.jspecify.annotations.Nullable;

/**
 * Sends each notification as a plain-text e-mail over SMTP (Jakarta Mail, implemented by Angus
 * Mail). Every message of a run carries the header {@value #INCIDENT_HEADER} with the run id and
 * {@code In-Reply-To}/{@code References} to one incident message id, so mail clients thread a
 * rollback's messages together. Authentication failures and refused addresses are final;
 * connection problems are retried. The SMTP password is a {@link Secret}.
 *
 * <pre>{@code
 * EmailNotifier.smtp("smtp.example.com", 587).withStartTls()
 *     .withCredentials("rollback", Secret.fromEnv("SMTP_PASSWORD"))
 *     .from("rollback@example.com").to("oncall@example.com", "eng@example.com");
 * }</pre>
 */
public final class EmailNotifier implements Notifier {
  public static final String INCIDENT_HEADER = "X-Incident-Id";

  private final String host;
  private final int port;
  private final @Nullable String user;
  private final @Nullable Secret password;
  private final boolean startTls;
  private final @Nullable InternetAddress from;
  private final List<InternetAddress> to;
  private final Duration timeout;
  private final String name;

  private EmailNotifier(String host, int port, @Nullable String user, @Nullable Secret password, boolean startTls,
      @Nullable InternetAddress from, List<InternetAddress> to, Duration timeout, String name) {
    this.host = host;
    this.port = port;
    this.user = user;
    this.password = password;
    this.startTls = startTls;
    this.from = from;
    this.to = List.copyOf(to);
    this.timeout = timeout;
    this.name = name;
  }

  public static EmailNotifier smtp(String host, int port) {
    Objects.requireNonNull(host, "host");
    if (host.isBlank()) throw new IllegalArgumentException("SMTP host must not be blank");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("SMTP port must be 1-65535: " + port);
    return new EmailNotifier(host, port, null, null, false, null, List.of(), Duration.ofSeconds(10), "email");
  }

  public EmailNotifier from(String address) {
    return new EmailNotifier(host, port, user, password, startTls, address("from", address), to, timeout, name);
  }

  public EmailNotifier to(String... addresses) {
    List<InternetAddress> list = new ArrayList<>(to);
    for (String a : addresses) list.add(address("to", a));
    return new EmailNotifier(host, port, user, password, startTls, from, list, timeout, name);
  }

  public EmailNotifier withCredentials(String user, Secret password) {
    Objects.requireNonNull(user, "user");
    Objects.requireNonNull(password, "password");
    return new EmailNotifier(host, port, user, password, startTls, from, to, timeout, name);
  }

  /** Requires STARTTLS before authenticating (port 587). */
  public EmailNotifier withStartTls() {
    return new EmailNotifier(host, port, user, password, true, from, to, timeout, name);
  }

  /** Connect, read and write timeout of the SMTP conversation; default 10 s. */
  public EmailNotifier withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    return new EmailNotifier(host, port, user, password, startTls, from, to, timeout, name);
  }

  public EmailNotifier named(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("notifier name must not be blank");
    return new EmailNotifier(host, port, user, password, startTls, from, to, timeout, name);
  }

  private static InternetAddress address(String field, String address) {
    Objects.requireNonNull(address, field);
    try {
      InternetAddress a = new InternetAddress(address, true);
      return a;
    } catch (AddressException e) {
      throw new IllegalArgumentException("e-mail '" + field + "' address is not valid: '" + address + "' (" + e.getMessage() + ")");
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** The message id every message of run {@code runId} refers to. */
  public static String incidentMessageId(String runId) {
    return "<incident." + runId.replaceAll("[^A-Za-z0-9_.-]", "-") + "@rollback>";
  }

  @Override
  public void send(Notification n) throws DeliveryFailure {
    if (from == null || to.isEmpty()) {
      throw DeliveryFailure.permanent(name + ": no " + (from == null ? "from" : "to") + " address configured");
    }
    Properties p = new Properties();
    p.put("mail.smtp.host", host);
    p.put("mail.smtp.port", Integer.toString(port));
    String ms = Long.toString(timeout.toMillis());
    p.put("mail.smtp.connectiontimeout", ms);
    p.put("mail.smtp.timeout", ms);
    p.put("mail.smtp.writetimeout", ms);
    if (user != null) p.put("mail.smtp.auth", "true");
    if (startTls) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    Session session = Session.getInstance(p);
    try {
      MimeMessage m = new MimeMessage(session);
      m.setFrom(from);
      m.setRecipients(Message.RecipientType.TO, to.toArray(InternetAddress[]::new));
      m.setSubject("[rollback] " + n.title(), "UTF-8");
      m.setSentDate(Date.from(n.at()));
      m.setHeader(INCIDENT_HEADER, n.runId());
      m.setHeader("In-Reply-To", incidentMessageId(n.runId()));
      m.setHeader("References", incidentMessageId(n.runId()));
      m.setText(body(n), "UTF-8");
      if (user != null && password != null) {
        Transport.send(m, user, password.reveal());
      } else {
        Transport.send(m);
      }
    } catch (AuthenticationFailedException e) {
      throw DeliveryFailure.permanent(name + ": SMTP authentication failed for user " + user);
    } catch (SendFailedException e) {
      throw DeliveryFailure.permanent(name + ": SMTP server refused the message: " + clean(e.getMessage()));
    } catch (MessagingException e) {
      throw DeliveryFailure.retryable(name + ": SMTP to " + host + ":" + port + " failed: " + clean(e.getMessage()));
    }
  }

  private String clean(@Nullable String message) {
    return redactor().redact(message);
  }

  /** Hides the SMTP password, and the user and password pair as AUTH PLAIN and LOGIN send them. */
  @Override
  public Redactor redactor() {
    return password == null ? Redactor.none()
        : password.redactor().and(Redactor.ofCredentials(user == null ? "" : user, password.reveal()));
  }

  static String body(Notification n) {
    StringBuilder b = new StringBuilder();
    b.append(n.title()).append("\n\n").append(n.text()).append("\n\n");
    n.facts().forEach((k, v) -> b.append(k).append(": ").append(v).append('\n'));
    b.append("\nplan: ").append(n.plan()).append("\ndeployment: ").append(n.deployment().id())
        .append("\nrun: ").append(n.runId()).append("\nkind: ").append(n.kind()).append('\n');
    return b.toString();
  }

  @Override
  public String toString() {
    return "EmailNotifier[" + name + ", smtp://" + host + ":" + port + (user == null ? "" : ", user=" + user + ", password=***")
        + ", to=" + to + "]";
  }
}
