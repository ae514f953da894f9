package dev.rollback.notify;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jspecify.annotations.Nullable;

/**
 * PagerDuty V3 webhooks (webhook subscriptions): the signature check and the few fields the
 * endpoint reads. PagerDuty signs the raw body with the subscription's secret:
 * {@code X-PagerDuty-Signature: v1=<hex HMAC-SHA256>}, several signatures comma-separated while the
 * secret rotates.
 */
final class PagerDutyWebhook {
  private PagerDutyWebhook() {}

  /** True if one of the {@code v1=} signatures in {@code header} is the HMAC-SHA256 of {@code body}; constant time per signature. */
  static boolean verify(Secret secret, byte[] body, @Nullable String header) {
    byte[] expected = HexFormat.of().formatHex(hmac(secret, body)).getBytes(StandardCharsets.US_ASCII);
    if (header == null || header.isBlank()) return false;
    boolean ok = false;
    for (String part : header.split(",")) {
      String p = part.trim();
      if (!p.startsWith("v1=")) continue;
      byte[] presented = p.substring(3).toLowerCase(Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
      ok |= MessageDigest.isEqual(expected, presented);
    }
    return ok;
  }

  /** The header PagerDuty would send for {@code body}: for tests and for replaying a webhook by hand. */
  static String sign(Secret secret, byte[] body) {
    return "v1=" + HexFormat.of().formatHex(hmac(secret, body));
  }

  private static byte[] hmac(Secret secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.reveal().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return mac.doFinal(body);
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is not available in this JVM", e);
    }
  }

  /** The fields of {@code {"event": {...}}} the endpoint needs. */
  record Event(String type, String incidentKey, String agent) {
    static Event of(JsonNode body) {
      JsonNode e = body.path("event");
      String agent = e.path("agent").path("summary").asText("");
      return new Event(e.path("event_type").asText(""), e.path("data").path("incident_key").asText(""),
          agent.isBlank() ? "PagerDuty" : agent);
    }

    boolean acknowledges() {
      return type.equals("incident.acknowledged") || type.equals("incident.resolved");
    }
  }
}
