package dev.rollback.notify;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rollback.RollbackException;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.engine.ManualClock;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RollbackEvent;
import dev.rollback.engine.RollbackListener;
import dev.rollback.notify.internal.Http;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a run's PagerDuty alert and the run's acknowledgement in step, both ways.
 *
 * <ul>
 *   <li><b>PagerDuty to the run</b> ({@link Builder#pollIncidents}): every interval, for each run
 *       the engine is running, {@code GET /incidents?incident_key=<dedup_key>} on the REST API with
 *       {@code Authorization: Token token=…}. An incident whose status is {@code acknowledged} or
 *       {@code resolved} acknowledges the run ({@link RollbackEngine#acknowledge}, source
 *       "pagerduty"), with the acknowledger's name as the actor; the run's pages stop escalating.
 *       PagerDuty's V3 webhooks do the same without polling: see {@link GateEndpoint#acceptPagerDutyWebhooks}.
 *   <li><b>The run to PagerDuty</b>: when the run is acknowledged another way (the gate endpoint,
 *       the API) or a named human answers one of its gates, the alert is acknowledged through the
 *       Events API ({@code event_action: acknowledge}, same {@code dedup_key}) by each paging
 *       {@link PagerDutyNotifier} of the communication plan, so PagerDuty stops escalating too.
 * </ul>
 *
 * Register it as the engine's listener, then {@link #start} it with the engine. Polling times with
 * the engine's clock (a {@link ManualClock}'s virtual time in tests). A failing request is logged and
 * retried at the next poll (a 429's Retry-After is honoured); nothing here reaches the run.
 */
public final class PagerDutyAcknowledgements implements RollbackListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PagerDutyAcknowledgements.class);
  public static final URI DEFAULT_API_BASE = URI.create("https://api.pagerduty.com");

  private final CommunicationPlan plan;
  private final @Nullable Secret apiToken;
  private final Duration every;
  private final URI apiBase;
  private final Duration timeout;
  private final ExecutorService senders = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "rollback-pagerduty-ack");
    t.setDaemon(true);
    return t;
  });
  /** Runs acknowledged (either way): not polled again, not acknowledged in PagerDuty twice. */
  private final Set<String> acknowledged = ConcurrentHashMap.newKeySet();
  /** Runs whose acknowledgement came from PagerDuty: not sent back to it. */
  private final Set<String> fromPagerDuty = ConcurrentHashMap.newKeySet();
  /** Runs whose alert we acknowledged in PagerDuty. */
  private final Set<String> forwarded = ConcurrentHashMap.newKeySet();
  private volatile @Nullable RollbackEngine engine;
  private volatile @Nullable ScheduledExecutorService scheduler;
  private volatile @Nullable Instant quietUntil;
  private volatile boolean closed;

  private PagerDutyAcknowledgements(Builder b) {
    this.plan = b.plan;
    this.apiToken = b.apiToken;
    this.every = b.every;
    this.apiBase = b.apiBase;
    this.timeout = b.timeout;
  }

  /** Acknowledges in PagerDuty through {@code plan}'s paging {@link PagerDutyNotifier}s. */
  public static Builder builder(CommunicationPlan plan) {
    return new Builder(Objects.requireNonNull(plan, "plan"));
  }

  /** Starts polling PagerDuty for the runs of {@code engine} (if {@link Builder#pollIncidents} was set). */
  public synchronized PagerDutyAcknowledgements start(RollbackEngine engine) {
    Objects.requireNonNull(engine, "engine");
    if (this.engine != null) throw new IllegalStateException("already started");
    if (closed) throw new IllegalStateException("closed");
    this.engine = engine;
    if (apiToken != null) {
      if (!(engine.clock() instanceof ManualClock)) {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "rollback-pagerduty-poll");
          t.setDaemon(true);
          return t;
        });
      }
      scheduleNext(every);
    }
    return this;
  }

  private void scheduleNext(Duration delay) {
    RollbackEngine e = engine;
    if (closed || e == null) return;
    if (e.clock() instanceof ManualClock manual) {
      manual.schedule(this::pollAndReschedule, delay);
    } else {
      ScheduledExecutorService s = scheduler;
      if (s != null && !s.isShutdown()) s.schedule(this::pollAndReschedule, delay.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void pollAndReschedule() {
    try {
      pollOnce();
    } catch (RuntimeException e) {
      log.warn("polling PagerDuty failed: {}", e.toString());
    }
    scheduleNext(every);
  }

  /** Polls PagerDuty once for every running run of the engine not acknowledged yet; for tests and for callers with their own schedule. */
  public void pollOnce() {
    RollbackEngine e = engine;
    Secret token = apiToken;
    if (e == null || token == null || closed) return;
    Instant quiet = quietUntil;
    if (quiet != null && e.clock().instant().isBefore(quiet)) return;
    for (String runId : e.runningRuns()) {
      if (acknowledged.contains(runId)) continue;
      try {
        Optional<String> by = acknowledgedBy(token, Notification.dedupKeyFor(runId));
        if (by.isPresent()) {
          acknowledged.add(runId);
          e.acknowledge(runId, by.get(), "pagerduty");
        }
      } catch (RateLimited r) {
        quietUntil = e.clock().instant().plus(r.wait);
        log.warn("PagerDuty REST API rate-limits us; next poll after {}", r.wait);
        return;
      } catch (CommunicationPlan.DeliveryFailure | IOException | RollbackException ex) {
        log.warn("run {}: could not read its PagerDuty incident: {}", runId, ex.getMessage());
      } catch (InterruptedException ex) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Who acknowledged the incident of {@code incidentKey}, if it is acknowledged or resolved. */
  private Optional<String> acknowledgedBy(Secret token, String incidentKey)
      throws CommunicationPlan.DeliveryFailure, IOException, InterruptedException, RateLimited {
    URI uri = URI.create(apiBase.toString().replaceAll("/+$", "") + "/incidents?incident_key="
        + URLEncoder.encode(incidentKey, StandardCharsets.UTF_8));
    Http.Response r = Http.get("pagerduty-api", uri, Map.of(
        "Authorization", "Token token=" + token.reveal(),
        "Accept", "application/vnd.pagerduty+json;version=2",
        "Content-Type", "application/json"), timeout, token.redactor());
    if (r.status() == 429) throw new RateLimited(Http.retryAfter(r, every));
    if (r.status() != 200) {
      throw new IOException("PagerDuty REST API answered HTTP " + r.status() + " " + errorMessage(r.body()));
    }
    JsonNode incidents = Http.JSON.readTree(r.body()).path("incidents");
    if (!incidents.isArray()) throw new IOException("PagerDuty REST API answer has no 'incidents' array");
    for (JsonNode i : incidents) {
      String status = i.path("status").asText("");
      if (!status.equals("acknowledged") && !status.equals("resolved")) continue;
      return Optional.of(actorOf(i));
    }
    return Optional.empty();
  }

  /** The name of the first acknowledger, else of whoever changed the status last, else "PagerDuty". */
  static String actorOf(JsonNode incident) {
    for (JsonNode a : incident.path("acknowledgements")) {
      String name = a.path("acknowledger").path("summary").asText("");
      if (!name.isBlank()) return name;
    }
    String last = incident.path("last_status_change_by").path("summary").asText("");
    return last.isBlank() ? "PagerDuty" : last;
  }

  private static String errorMessage(String body) {
    try {
      JsonNode e = Http.JSON.readTree(body).path("error");
      if (e.isObject()) return e.path("message").asText("") + " (code " + e.path("code").asText("?") + ")";
    } catch (IOException ignored) {
      // not JSON: show the start of it
    }
    return body.length() > 200 ? body.substring(0, 200) + "..." : body;
  }

  private static final class RateLimited extends Exception {
    private static final long serialVersionUID = 1L;
    final Duration wait;

    RateLimited(Duration wait) {
      super(null, null, false, false);
      this.wait = wait;
    }
  }

  @Override
  public void onEvent(RollbackEvent event) {
    if (event instanceof RollbackEvent.Acknowledged a) {
      acknowledged.add(a.runId());
      if (a.source().startsWith("pagerduty")) {
        fromPagerDuty.add(a.runId());
      } else {
        acknowledgeInPagerDuty(a.runId(), a.actor());
      }
    } else if (event instanceof RollbackEvent.GateDecided d && !d.timedOut()) {
      acknowledged.add(d.runId());
      acknowledgeInPagerDuty(d.runId(), d.actor());
    } else if (event instanceof RollbackEvent.RunFinished f) {
      acknowledged.remove(f.runId());
      fromPagerDuty.remove(f.runId());
      forwarded.remove(f.runId());
    }
  }

  private void acknowledgeInPagerDuty(String runId, String actor) {
    if (fromPagerDuty.contains(runId) || !forwarded.add(runId)) return;
    String dedupKey = Notification.dedupKeyFor(runId);
    plan.audiences().values().stream().flatMap(List::stream).distinct()
        .filter(n -> n instanceof PagerDutyNotifier p && p.pages())
        .forEach(n -> {
          try {
            senders.execute(() -> {
              try {
                ((PagerDutyNotifier) n).acknowledge(dedupKey);
                log.info("run {}: {} has it; acknowledged the alert via {}", runId, actor, n.name());
              } catch (Exception ex) {
                log.warn("run {}: acknowledging the alert via {} failed: {}", runId, n.name(), ex.toString());
              }
            });
          } catch (java.util.concurrent.RejectedExecutionException closedAlready) {
            log.warn("run {}: not acknowledging the alert via {}: closed", runId, n.name());
          }
        });
  }

  @Override
  public void close() {
    closed = true;
    ScheduledExecutorService s = scheduler;
    if (s != null) s.shutdownNow();
    senders.shutdown();
  }

  @Override
  public String toString() {
    return "PagerDutyAcknowledgements[api=" + apiBase + (apiToken == null ? ", not polling" : ", every " + every)
        + ", apiToken=***]";
  }

  /** Configures {@link PagerDutyAcknowledgements}. */
  public static final class Builder {
    private final CommunicationPlan plan;
    private @Nullable Secret apiToken;
    private Duration every = Duration.ofSeconds(30);
    private URI apiBase = DEFAULT_API_BASE;
    private Duration timeout = Duration.ofSeconds(10);

    private Builder(CommunicationPlan plan) {
      this.plan = plan;
    }

    /**
     * Polls the REST API with {@code apiToken} (a read-only key is enough) every {@code every}. Each
     * poll is one request per running, unacknowledged run; mind the account's rate limit.
     */
    public Builder pollIncidents(Secret apiToken, Duration every) {
      this.apiToken = Objects.requireNonNull(apiToken, "apiToken");
      Objects.requireNonNull(every, "every");
      if (every.isNegative() || every.isZero()) throw new IllegalArgumentException("poll interval must be positive: " + every);
      this.every = every;
      return this;
    }

    /** Another REST API base URL (the EU service region, or a local test server). */
    public Builder withApiBaseUri(URI base) {
      Objects.requireNonNull(base, "base");
      if (base.getScheme() == null || !base.getScheme().startsWith("http")) {
        throw new IllegalArgumentException("PagerDuty API base URI must be http(s): " + base);
      }
      this.apiBase = base;
      return this;
    }

    public Builder withTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("timeout must be positive: " + timeout);
      this.timeout = timeout;
      return this;
    }

    public PagerDutyAcknowledgements build() {
      return new PagerDutyAcknowledgements(this);
    }
  }
}
