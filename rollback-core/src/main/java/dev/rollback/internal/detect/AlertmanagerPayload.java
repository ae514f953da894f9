package dev.rollback.internal.detect;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rollback.detect.Alerts;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Reads the Alertmanager webhook payload (version "4"): {@code {"version", "status", "receiver",
 * "groupLabels", "commonLabels", "alerts": [{"status": "firing"|"resolved", "labels",
 * "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"}]}}.
 */
public final class AlertmanagerPayload {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_BYTES = 4 * 1024 * 1024;

  /** The alerts of a payload, or the problem that made it unreadable. */
  public record Parsed(List<Alerts.Alert> firing, List<String> resolved, String problem) {}

  private AlertmanagerPayload() {}

  public static Parsed parse(String body, Instant receivedAt) {
    if (body == null || body.isBlank()) return problem("the body is empty");
    if (body.length() > MAX_BYTES) return problem("the body is larger than " + MAX_BYTES + " characters");
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return problem("not JSON: " + e.getOriginalMessage() + " at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr());
    }
    if (root == null || !root.isObject()) return problem("expected a JSON object with \"alerts\", got " + kind(root));
    JsonNode version = root.get("version");
    if (version != null && !version.asText().startsWith("4")) {
      return problem("unsupported webhook payload version \"" + version.asText() + "\" (expected \"4\")");
    }
    JsonNode alerts = root.get("alerts");
    if (alerts == null || !alerts.isArray()) return problem("\"alerts\" must be an array, got " + kind(alerts));
    List<Alerts.Alert> firing = new ArrayList<>();
    List<String> resolved = new ArrayList<>();
    for (int i = 0; i < alerts.size(); i++) {
      JsonNode a = alerts.get(i);
      String at = "alerts[" + i + "]";
      if (!a.isObject()) return problem(at + " must be an object, got " + kind(a));
      String status = a.path("status").asText("");
      if (!status.equals("firing") && !status.equals("resolved")) {
        return problem(at + ".status must be \"firing\" or \"resolved\", got " + kind(a.get("status")));
      }
      JsonNode labels = a.get("labels");
      if (labels == null || !labels.isObject()) return problem(at + ".labels must be an object, got " + kind(labels));
      Map<String, String> l = strings(labels);
      String key = a.path("fingerprint").asText("");
      if (key.isEmpty()) key = new TreeMap<>(l).toString();
      if (status.equals("resolved")) {
        resolved.add(key);
        continue;
      }
      Instant startsAt = receivedAt;
      String s = a.path("startsAt").asText("");
      if (!s.isEmpty()) {
        try {
          startsAt = Instant.parse(s);
        } catch (DateTimeParseException e) {
          try {
            startsAt = java.time.OffsetDateTime.parse(s).toInstant();
          } catch (DateTimeParseException e2) {
            return problem(at + ".startsAt is not an RFC 3339 time: \"" + s + "\"");
          }
        }
      }
      JsonNode ann = a.get("annotations");
      String source = a.path("generatorURL").asText("");
      firing.add(new Alerts.Alert(key, l.getOrDefault("alertname", "(unnamed)"), l,
          ann != null && ann.isObject() ? strings(ann) : Map.of(), startsAt,
          "alertmanager" + (root.hasNonNull("receiver") ? " receiver " + root.get("receiver").asText() : "")
              + (source.isEmpty() ? "" : ", " + source)));
    }
    return new Parsed(firing, resolved, "");
  }

  private static Map<String, String> strings(JsonNode obj) {
    Map<String, String> m = new LinkedHashMap<>();
    obj.fields().forEachRemaining(e -> m.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString()));
    return m;
  }

  private static String kind(JsonNode n) {
    if (n == null || n.isMissingNode()) return "nothing";
    if (n.isNull()) return "null";
    if (n.isArray()) return "an array";
    if (n.isObject()) return "an object";
    if (n.isTextual()) return "the string \"" + n.asText() + "\"";
    return n.getNodeType().name().toLowerCase() + " " + n;
  }

  private static Parsed problem(String p) {
    return new Parsed(List.of(), List.of(), p);
  }
}
