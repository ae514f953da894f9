package dev.rollback.detect;

import dev.rollback.engine.ManualClock;
import dev.rollback.internal.detect.AlertmanagerPayload;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jspecify.annotations.Nullable;

/**
 * Alerts raised outside the process: Prometheus Alertmanager webhook payloads the application
 * receives on its own endpoint ({@link #acceptAlertmanager}), or any other source
 * ({@link #fire}, {@link #resolve}). Watched by {@link Trigger#externalAlert}.
 *
 * <p>A payload that cannot be read is never an exception and never a rollback: it is reported
 * in the {@link Receipt} (answer the sender with 400) and makes the trigger ASK_HUMAN until a
 * readable payload arrives.
 */
public final class Alerts implements Signal {

  /** One firing alert. */
  public record Alert(String key, String name, Map<String, String> labels, Map<String, String> annotations,
      Instant startsAt, String source) {
    public Alert {
      labels = Map.copyOf(labels);
      annotations = Map.copyOf(annotations);
    }

    /** The alert in words: name, labels, summary. */
    public String describe() {
      String summary = annotations.getOrDefault("summary", annotations.getOrDefault("description", ""));
      return "alert '" + name + "' firing since " + startsAt + " " + labels + (summary.isEmpty() ? "" : ": " + summary)
          + " (from " + source + ")";
    }
  }

  /** What happened to a payload: accepted, how many alerts it held and how many now fire, or the problem. */
  public record Receipt(boolean accepted, int alerts, int firing, String problem) {}

  private final String name;
  private final Clock clock;
  private final Map<String, Alert> firing = new LinkedHashMap<>();
  private long received;
  private long rejected;
  private @Nullable String problem;
  private final List<Runnable> wakeUps = new CopyOnWriteArrayList<>();

  private Alerts(String name, Clock clock) {
    this.name = name;
    this.clock = clock;
  }

  public static Alerts create(String name) {
    return create(name, Clock.systemUTC());
  }

  /** Alerts whose receipt times come from {@code clock} (a {@link ManualClock} in tests). */
  public static Alerts create(String name, Clock clock) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(clock, "clock");
    if (name.isBlank()) throw new IllegalArgumentException("alerts name must not be blank");
    return new Alerts(name, clock);
  }

  /**
   * Accepts a Prometheus Alertmanager webhook payload (version 4): firing alerts are added,
   * resolved ones removed, by fingerprint. Never throws on bad input.
   */
  public Receipt acceptAlertmanager(String body) {
    AlertmanagerPayload.Parsed p = AlertmanagerPayload.parse(body, clock.instant());
    int now;
    synchronized (this) {
      if (!p.problem().isEmpty()) {
        rejected++;
        problem = "an Alertmanager payload could not be read at " + clock.instant() + ": " + p.problem();
        return new Receipt(false, 0, firing.size(), p.problem());
      }
      problem = null;
      received++;
      for (Alert a : p.firing()) firing.put(a.key(), a);
      for (String key : p.resolved()) firing.remove(key);
      now = firing.size();
    }
    if (!p.firing().isEmpty()) wake();
    return new Receipt(true, p.firing().size() + p.resolved().size(), now, "");
  }

  /** Raises an alert from any source; {@code labels} may be empty. */
  public void fire(String alertName, Map<String, String> labels, String summary) {
    Objects.requireNonNull(alertName, "alertName");
    Map<String, String> l = new LinkedHashMap<>(labels);
    l.putIfAbsent("alertname", alertName);
    synchronized (this) {
      received++;
      firing.put("manual:" + alertName, new Alert("manual:" + alertName, alertName, l, Map.of("summary", summary),
          clock.instant(), "api"));
    }
    wake();
  }

  /** Resolves an alert raised with {@link #fire}. */
  public synchronized void resolve(String alertName) {
    firing.remove("manual:" + alertName);
  }

  /** The alerts firing now. */
  public synchronized List<Alert> firing() {
    return new ArrayList<>(firing.values());
  }

  /** Why the last payload was rejected, until a readable one arrives. */
  public synchronized Optional<String> problem() {
    return Optional.ofNullable(problem);
  }

  private void wake() {
    for (Runnable w : wakeUps) {
      try {
        w.run();
      } catch (RuntimeException e) {
        // best-effort
      }
    }
  }

  @Override
  public String name() {
    return name;
  }

  /** Payloads received (total), those carrying firing alerts (failures); rejected payloads count as unknown. */
  @Override
  public synchronized Observations observe(Instant now) {
    long total = received + rejected;
    return new Observations(name, now, total, Math.min(firing.size(), received), rejected, -1, -1,
        firing.size() + " alerts firing" + (problem == null ? "" : "; " + problem), LatencyHistogram.empty());
  }

  @Override
  public Duration sampleInterval() {
    return Duration.ZERO;
  }

  @Override
  public void addWakeUp(Runnable wakeUp) {
    wakeUps.add(Objects.requireNonNull(wakeUp, "wakeUp"));
  }

  @Override
  public void removeWakeUp(Runnable wakeUp) {
    wakeUps.remove(wakeUp);
  }

  @Override
  public String toString() {
    return "Alerts[" + name + "]";
  }
}
