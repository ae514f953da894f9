package dev.rollback.notify;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.Notification;
import dev.rollback.communication.Notifier;
import dev.rollback.notify.internal.Http;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * POSTs each notification as JSON to any HTTP endpoint, signed: header {@value #TIMESTAMP_HEADER}
 * holds the Unix time in seconds, header {@value #SIGNATURE_HEADER} holds
 * {@code v1=hex(HMAC-SHA256(key, timestamp + "." + body))}. A receiver recomputes the signature
 * and refuses a timestamp outside its tolerance, so a captured request cannot be replayed later;
 * {@link #verify} does both. 2xx is success, 408/429/5xx are retried, other 4xx are final.
 */
public final class WebhookNotifier implements Notifier {
  public static final String SIGNATURE_HEADER = "X-Rollback-Signature";
  public static final String TIMESTAMP_HEADER = "X-Rollback-Timestamp";

  private final URI uri;
  private final Secret signingKey;
  private final String name;
  private final Clock clock;
  private final Duration timeout;

  private WebhookNotifier(URI uri, Secret signingKey, String name, Clock clock, Duration timeout) {
    this.uri = uri;
    this.signingKey = signingKey;
    this.name = name;
    this.clock = clock;
    this.timeout = timeout;
  }

  public static WebhookNotifier to(URI uri, Secret signingKey) {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(signingKey, "signingKey");
    if (uri.getScheme() == null || !uri.getScheme().startsWith("http")) {
      throw new IllegalArgumentException("webhook URI must be http(s): " + uri.getScheme() + "://" + uri.getHost());
    }
    return new WebhookNotifier(uri, signingKey, "webhook:" + uri.getHost(), Clock.systemUTC(), Duration.ofSeconds(10));
  }

  public WebhookNotifier named(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank()) throw new IllegalArgumentException("notifier name must not be blank");
    return new WebhookNotifier(uri, signingKey, name, clock, timeout);
  }

  /** The clock for the signature timestamp (default UTC system clock). */
  public WebhookNotifier withClock(Clock clock) {
    return new WebhookNotifier(uri, signingKey, name, Objects.requireNonNull(clock, "clock"), timeout);
  }

  public WebhookNotifier withTimeout(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
    return new WebhookNotifier(uri, signingKey, name, clock, timeout);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public void send(Notification n) throws DeliveryFailure, InterruptedException {
    String body = Http.write(body(n));
    String ts = Long.toString(clock.instant().getEpochSecond());
    Http.Response r = Http.post(name, uri, body,
        Map.of(TIMESTAMP_HEADER, ts, SIGNATURE_HEADER, "v1=" + sign(signingKey, ts, body)), timeout, redactor());
    Http.check(name, r, List.of(200, 201, 202, 204));
  }

  /** Hides the signing key and the URL's token-like path segments, userinfo and query values. */
  @Override
  public dev.rollback.spi.Redactor redactor() {
    return signingKey.redactor().and(dev.rollback.spi.Redactor.of(uri.toString()));
  }

  static ObjectNode body(Notification n) {
    ObjectNode o = Http.object();
    o.put("v", 1);
    o.put("kind", n.kind().name());
    o.put("audience", n.audience());
    o.put("runId", n.runId());
    o.put("plan", n.plan());
    o.putObject("deployment").put("service", n.deployment().service()).put("version", n.deployment().version());
    o.put("title", n.title());
    o.put("text", n.text());
    ObjectNode f = o.putObject("facts");
    n.facts().forEach(f::put);
    o.put("dedupKey", n.dedupKey());
    o.put("at", n.at().toString());
    return o;
  }

  /** {@code hex(HMAC-SHA256(key, timestamp + "." + body))}. */
  public static String sign(Secret key, String timestamp, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return HexFormat.of().formatHex(mac.doFinal((timestamp + "." + body).getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  /**
   * For receivers: true when {@code signatureHeader} is the signature of {@code body} at
   * {@code timestampHeader} and that time is within {@code tolerance} of {@code now}. Compares in
   * constant time.
   */
  public static boolean verify(Secret key, String timestampHeader, String body, String signatureHeader, Instant now,
      Duration tolerance) {
    long ts;
    try {
      ts = Long.parseLong(timestampHeader.trim());
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(now.getEpochSecond() - ts) > tolerance.toSeconds()) return false;
    byte[] expected = ("v1=" + sign(key, timestampHeader.trim(), body)).getBytes(StandardCharsets.UTF_8);
    return MessageDigest.isEqual(expected, signatureHeader.trim().getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "WebhookNotifier[" + name + ", " + uri.getScheme() + "://" + uri.getHost() + ", signingKey=***]";
  }
}
