package dev.rollback.notify;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.Notification;
import dev.rollback.communication.Notifier;
import dev.rollback.notify.internal.Http;
import dev.rollback.spi.Redactor;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Posts to a Slack incoming webhook: {@code text} (the fallback shown in notifications) and
 * {@code blocks} (header, the message, the run's facts). Slack answers 200 {@code ok}; its 4xx
 * error strings ({@code invalid_payload}, {@code channel_is_archived}, ...) are final and not
 * retried, 429 waits for {@code Retry-After}, 5xx is retried. The webhook URL is the secret: its
 * token-like path segments ({@code T…}, {@code B…}, the token) are hidden in every reply, failure
 * and log line, also when a relay echoes only the request path.
 *
 * <pre>{@code
 * SlackNotifier slack = SlackNotifier.webhook(Secret.fromEnv("SLACK_WEBHOOK")).named("slack-incidents");
 * }</pre>
 */
public final class SlackNotifier implements Notifier {
  private final Secret webhook;
  private final String name;
  private final Duration timeout;

  private SlackNotifier(Secret webhook, String name, Duration timeout) {
    this.webhook = webhook;
    this.name = name;
    this.timeout = timeout;
  }

  /** Posts to {@code webhookUrl}, e.g. {@code https://hooks.slack.com/services/T.../B.../...}. */
  public static SlackNotifier webhook(Secret webhookUrl) {
    Objects.requireNonNull(webhookUrl, "webhookUrl");
    URI uri = parse(webhookUrl);
    if (!"https".equals(uri.getScheme()) && !"http".equals(uri.getScheme())) {
      throw new IllegalArgumentException("Slack webhook URL must be http(s); got scheme '" + uri.getScheme() + "'");
    }
    return new SlackNotifier(webhookUrl, "slack", Duration.ofSeconds(10));
  }

  private static URI parse(Secret url) {
    try {
      return URI.create(url.reveal());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("Slack webhook URL is not a valid URI (value hidden)");
    }
  }

  /** The name used in journals and reports (e.g. the channel it posts to); never put the URL here. */
  public SlackNotifier named(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("notifier name must not be blank");
    return new SlackNotifier(webhook, name, timeout);
  }

  /** How long one request may take; default 10 s. */
  public SlackNotifier withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    return new SlackNotifier(webhook, name, timeout);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void send(Notification n) throws DeliveryFailure, InterruptedException {
    Http.Response r = Http.post(name, parse(webhook), Http.write(payload(n)), Map.of(), timeout, webhook.redactor());
    Http.check(name, r, List.of(200));
    if (!r.body().strip().equals("ok")) {
      // Slack answers 200 "ok"; anything else is an error string such as "invalid_blocks"
      throw DeliveryFailure.permanent(name + ": HTTP 200 but '" + r.body().strip() + "' instead of 'ok'");
    }
  }

  /** The JSON body: fallback {@code text} plus Block Kit {@code blocks}. */
  static ObjectNode payload(Notification n) {
    ObjectNode root = Http.object();
    root.put("text", n.title() + ": " + n.text());
    ArrayNode blocks = root.putArray("blocks");
    ObjectNode header = blocks.addObject().put("type", "header");
    header.putObject("text").put("type", "plain_text").put("text", cut(n.title(), 150));
    ObjectNode section = blocks.addObject().put("type", "section");
    section.putObject("text").put("type", "mrkdwn").put("text", cut(escape(n.text()), 3000));
    if (!n.facts().isEmpty()) {
      ObjectNode facts = blocks.addObject().put("type", "section");
      ArrayNode fields = facts.putArray("fields");
      n.facts().entrySet().stream().limit(10).forEach(e -> fields.addObject().put("type", "mrkdwn")
          .put("text", cut("*" + escape(e.getKey()) + "*\n" + escape(e.getValue()), 2000)));
    }
    ObjectNode context = blocks.addObject().put("type", "context");
    context.putArray("elements").addObject().put("type", "mrkdwn").put("text",
        escape(n.kind() + " · plan " + n.plan() + " · " + (n.deployment() == null ? "" : n.deployment().id())
            + " · run " + n.runId()));
    return root;
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  @Override
  public Redactor redactor() {
    return webhook.redactor();
  }

  @Override
  public String toString() {
    return "SlackNotifier[" + name + ", webhook=***]";
  }
}
