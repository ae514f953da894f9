package dev.rollback.notify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.communication.Notifier;
import dev.rollback.notify.internal.Http;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * PagerDuty Events API v2. In {@link #events} mode a rollback pages: ROLLBACK_TRIGGERED,
 * STEP_FAILED, HUMAN_NEEDED, BUDGET_EXCEEDED and ROLLBACK_FAILED send {@code trigger},
 * ROLLBACK_COMPLETED sends {@code resolve}, all with {@code dedup_key} = the run's idempotency
 * key, so they are one alert that resolves when the rollback completes. {@link #acknowledge}
 * acknowledges it. In {@link #changeEvents} mode every notification is a Change Event: a notice
 * on the service's timeline that pages nobody.
 *
 * <p>202 is success; 400 (invalid event, wrong routing key) is final; 429 and 5xx are retried.
 * The routing key is a {@link Secret}. The base URL defaults to {@code https://events.pagerduty.com}.
 */
public final class PagerDutyNotifier implements Notifier {
  public static final URI DEFAULT_BASE = URI.create("https://events.pagerduty.com");

  private final Secret routingKey;
  private final boolean change;
  private final URI base;
  private final String name;
  private final String source;
  private final Duration timeout;

  private PagerDutyNotifier(Secret routingKey, boolean change, URI base, String name, String source, Duration timeout) {
    this.routingKey = routingKey;
    this.change = change;
    this.base = base;
    this.name = name;
    this.source = source;
    this.timeout = timeout;
  }

  /** Pages through the Events API v2 integration with {@code routingKey}. */
  public static PagerDutyNotifier events(Secret routingKey) {
    return new PagerDutyNotifier(Objects.requireNonNull(routingKey, "routingKey"), false, DEFAULT_BASE,
        "pagerduty", "rollback", Duration.ofSeconds(10));
  }

  /** Sends Change Events (no page) to the service of {@code routingKey}. */
  public static PagerDutyNotifier changeEvents(Secret routingKey) {
    return new PagerDutyNotifier(Objects.requireNonNull(routingKey, "routingKey"), true, DEFAULT_BASE,
        "pagerduty-changes", "rollback", Duration.ofSeconds(10));
  }

  /** Another base URL (a regional endpoint, or a local test server). */
  public PagerDutyNotifier withBaseUri(URI base) {
    Objects.requireNonNull(base, "base");
    if (base.getScheme() == null || !base.getScheme().startsWith("http")) {
      throw new IllegalArgumentException("PagerDuty base URI must be http(s): " + base);
    }
    return new PagerDutyNotifier(routingKey, change, base, name, source, timeout);
  }

  public PagerDutyNotifier named(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("notifier name must not be blank");
    return new PagerDutyNotifier(routingKey, change, base, name, source, timeout);
  }

  /** The {@code payload.source} (the host or service the alert is about); default "rollback". */
  public PagerDutyNotifier withSource(String source) {
    Objects.requireNonNull(source, "source");
    return new PagerDutyNotifier(routingKey, change, base, name, source, timeout);
  }

  public PagerDutyNotifier withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    return new PagerDutyNotifier(routingKey, change, base, name, source, timeout);
  }

  @Override
  public String name() {
    return name;
  }

  /** True in {@link #events} mode (it pages), false for {@link #changeEvents}. */
  public boolean pages() {
    return !change;
  }

  @Override
  public void send(Notification n) throws DeliveryFailure, InterruptedException {
    if (change) {
      post("/v2/change/enqueue", changeEvent(n));
    } else {
      post("/v2/enqueue", event(n, action(n.kind())));
    }
  }

  /** Acknowledges the alert of {@code dedupKey} (a human took it). */
  public void acknowledge(String dedupKey) throws DeliveryFailure, InterruptedException {
    if (change) throw new IllegalStateException(name + " sends Change Events, which cannot be acknowledged");
    ObjectNode body = Http.object();
    body.put("routing_key", routingKey.reveal());
    body.put("event_action", "acknowledge");
    body.put("dedup_key", dedupKey);
    post("/v2/enqueue", body);
  }

  private void post(String path, ObjectNode body) throws DeliveryFailure, InterruptedException {
    URI uri = URI.create(base.toString().replaceAll("/+$", "") + path);
    // PagerDuty's 400 body can echo the event: the reply passes the routing key's redactor
    Http.Response r = Http.post(name, uri, Http.write(body), Map.of(), timeout, routingKey.redactor());
    Http.check(name, r, List.of(200, 201, 202));
  }

  @Override
  public dev.rollback.spi.Redactor redactor() {
    return routingKey.redactor();
  }

  static String action(NotificationKind kind) {
    return kind == NotificationKind.ROLLBACK_COMPLETED ? "resolve" : "trigger";
  }

  static String severity(NotificationKind kind) {
    return switch (kind) {
      case ROLLBACK_TRIGGERED, HUMAN_NEEDED, ROLLBACK_FAILED -> "critical";
      case STEP_FAILED -> "error";
      case BUDGET_EXCEEDED -> "warning";
      case ROLLBACK_COMPLETED -> "info";
    };
  }

  ObjectNode event(Notification n, String action) {
    ObjectNode body = Http.object();
    body.put("routing_key", routingKey.reveal());
    body.put("event_action", action);
    body.put("dedup_key", cut(n.dedupKey(), 255));
    if (action.equals("trigger")) {
      ObjectNode p = body.putObject("payload");
      p.put("summary", cut(n.title() + ": " + n.text(), 1024));
      p.put("source", source);
      p.put("severity", severity(n.kind()));
      p.put("timestamp", n.at().toString());
      p.put("component", n.deployment().service());
      p.put("group", n.plan());
      p.put("class", n.kind().name());
      ObjectNode d = p.putObject("custom_details");
      d.put("run", n.runId());
      d.put("deployment", n.deployment().id());
      d.put("audience", n.audience());
      n.facts().forEach(d::put);
      body.put("client", "rollback");
    }
    return body;
  }

  ObjectNode changeEvent(Notification n) {
    ObjectNode body = Http.object();
    body.put("routing_key", routingKey.reveal());
    ObjectNode p = body.putObject("payload");
    p.put("summary", cut(n.title() + ": " + n.text(), 1024));
    p.put("timestamp", n.at().toString());
    p.put("source", source);
    ObjectNode d = p.putObject("custom_details");
    d.put("kind", n.kind().name());
    d.put("run", n.runId());
    d.put("deployment", n.deployment().id());
    n.facts().forEach(d::put);
    return body;
  }

  private static String cut(String s, int max) {
    return s.length() <= max ? s : s.substring(0, max - 1) + "…";
  }

  @Override
  public String toString() {
    return "PagerDutyNotifier[" + name + (change ? ", change events" : ", events") + ", base=" + base
        + ", routingKey=***]";
  }
}
