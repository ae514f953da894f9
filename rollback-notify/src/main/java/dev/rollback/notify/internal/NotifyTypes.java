package dev.rollback.notify.internal;

import dev.rollback.Step;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.notify.EmailNotifier;
import dev.rollback.notify.PagerDutyNotifier;
import dev.rollback.notify.Secret;
import dev.rollback.notify.SlackNotifier;
import dev.rollback.notify.WebhookNotifier;
import dev.rollback.spi.Arguments;
import dev.rollback.spi.Parameter;
import dev.rollback.spi.Parameter.Type;
import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The notification channels and the notify step plan files can name: targets {@code slack},
 * {@code pagerduty}, {@code webhook} and {@code email} (each a {@link Notifier}, also usable as an
 * audience's channel in a communication plan); step {@code notify}. Registered in
 * {@code META-INF/services}.
 */
public final class NotifyTypes {
  private NotifyTypes() {}

  private static final Parameter NAME = Parameter.optional("name", Type.STRING,
      "the channel's name in journals and reports (never the URL)");

  private static <N extends Notifier> Notifier named(Arguments args, N n, java.util.function.Function<String, Notifier> rename) {
    return args.has("name") ? rename.apply(args.string("name")) : n;
  }

  /** {@code slack}. */
  public static final class Slack implements TargetType {
    @Override public String name() { return "slack"; }
    @Override public String summary() { return "a Slack incoming webhook"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("webhook", Type.SECRET, "the webhook URL"), NAME);
    }
    @Override public Object open(Arguments args) {
      SlackNotifier n = SlackNotifier.webhook(Secret.of(args.secret("webhook")));
      return named(args, n, n::named);
    }
  }

  /** {@code pagerduty}. */
  public static final class PagerDuty implements TargetType {
    @Override public String name() { return "pagerduty"; }
    @Override public String summary() { return "a PagerDuty service, by Events API v2 routing key (pages) or change events"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("routingKey", Type.SECRET, "the integration's routing key"),
          Parameter.optional("changeEvents", Type.BOOLEAN, "send change events instead of alerts").withDefault("false"),
          Parameter.optional("baseUrl", Type.URI, "the Events API base URL"), NAME);
    }
    @Override public Object open(Arguments args) {
      Secret key = Secret.of(args.secret("routingKey"));
      PagerDutyNotifier n = args.bool("changeEvents") ? PagerDutyNotifier.changeEvents(key) : PagerDutyNotifier.events(key);
      if (args.has("baseUrl")) n = n.withBaseUri(args.uri("baseUrl"));
      return named(args, n, n::named);
    }
  }

  /** {@code webhook}. */
  public static final class Webhook implements TargetType {
    @Override public String name() { return "webhook"; }
    @Override public String summary() { return "an HTTP endpoint receiving signed JSON notifications"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("url", Type.URI, "where to POST"),
          Parameter.required("signingKey", Type.SECRET, "the HMAC key the receiver checks the signature with"), NAME);
    }
    @Override public Object open(Arguments args) {
      WebhookNotifier n = WebhookNotifier.to(args.uri("url"), Secret.of(args.secret("signingKey")));
      return named(args, n, n::named);
    }
  }

  /** {@code email}. */
  public static final class Email implements TargetType {
    @Override public String name() { return "email"; }
    @Override public String summary() { return "e-mail over SMTP"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("host", Type.STRING, "the SMTP server"),
          Parameter.optional("port", Type.INTEGER, "its port").between(1, 65535).withDefault("25"),
          Parameter.required("from", Type.STRING, "the sender address"),
          Parameter.required("to", Type.STRING_LIST, "the recipients"),
          Parameter.optional("user", Type.STRING, "the SMTP user"),
          Parameter.optional("password", Type.SECRET, "the SMTP password"),
          Parameter.optional("startTls", Type.BOOLEAN, "require STARTTLS").withDefault("false"), NAME);
    }
    @Override public Object open(Arguments args) {
      EmailNotifier n = EmailNotifier.smtp(args.string("host"), args.integer("port")).from(args.string("from"))
          .to(args.strings("to").toArray(new String[0]));
      if (args.has("user")) n = n.withCredentials(args.string("user"), Secret.of(args.secret("password")));
      if (args.bool("startTls")) n = n.withStartTls();
      return named(args, n, n::named);
    }
  }

  /** {@code notify}: one message as a step of the plan. */
  public static final class Notify implements StepType {
    @Override public String name() { return "notify"; }
    @Override public String summary() { return "send one message to a channel as a step (the communication plan sends the run's own messages)"; }
    @Override public List<Parameter> parameters() {
      return List.of(Parameter.required("target", Type.TARGET, "the channel").withChoices("slack", "pagerduty", "webhook", "email"),
          Parameter.required("title", Type.STRING, "the message's title"),
          Parameter.optional("text", Type.STRING, "the message's text").withDefault(""));
    }
    @Override public Step step(Arguments args) {
      Notifier n = args.target("target", Notifier.class);
      String title = args.string("title");
      String text = args.string("text");
      return Step.builder("notify " + n.name().replace('/', '-'))
          .execute(ctx -> n.send(new Notification(NotificationKind.ROLLBACK_TRIGGERED, "plan", ctx.runId(), ctx.planName(),
              ctx.deployment(), title, text, Map.of("step", ctx.stepPath()), ctx.idempotencyKey(), ctx.clock().instant())))
          .withTimeout(Duration.ofSeconds(30))
          .describedAs("tell " + n.name() + ": " + title)
          .build();
    }
  }
}
