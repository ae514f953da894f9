package dev.rollback.communication;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Who hears about what, over which channel. Audiences (on-call, engineering, stakeholders) each
 * have notifiers; each {@link NotificationKind} is routed to audiences.
 *
 * <pre>{@code
 * CommunicationPlan.builder()
 *     .audience("on-call", pagerDuty)
 *     .audience("stakeholders", slack)
 *     .route(NotificationKind.ROLLBACK_TRIGGERED, "on-call", "stakeholders")
 *     .route(NotificationKind.HUMAN_NEEDED, "on-call")
 *     .template(NotificationKind.ROLLBACK_TRIGGERED, "Rolling back {deployment}", "{text} (run {run})")
 *     .escalate("on-call", Duration.ofMinutes(5), "engineering")
 *     .deduplicateWithin(Duration.ofMinutes(1))
 *     .build();
 * }</pre>
 *
 * <p>Templates fill {@code {plan}}, {@code {deployment}}, {@code {service}}, {@code {version}},
 * {@code {run}}, {@code {audience}}, {@code {kind}}, the engine's own {@code {title}} and
 * {@code {text}}, and any fact as {@code {fact:name}} (for example {@code {fact:reason}},
 * {@code {fact:onTimeout}}). An escalation sends a page (ROLLBACK_TRIGGERED or HUMAN_NEEDED) on to
 * the next audience when nobody acknowledged it in time ({@code RollbackEngine.acknowledge}, a
 * human answer at a gate, or an acknowledgement in PagerDuty through rollback-notify); the engine
 * times it on its clock and journals each escalation (ESCALATED) and its deliveries.
 * De-duplication drops a message identical to one sent to the same audience within the window.
 */
public final class CommunicationPlan {
  private static final CommunicationPlan NONE = new CommunicationPlan(Map.of(), Map.of(), Map.of(), List.of(),
      Duration.ZERO);

  private final Map<String, List<Notifier>> audiences;
  private final Map<NotificationKind, List<String>> routes;
  private final Map<NotificationKind, Template> templates;
  private final List<Escalation> escalations;
  private final Duration deduplicationWindow;

  private CommunicationPlan(Map<String, List<Notifier>> audiences, Map<NotificationKind, List<String>> routes,
      Map<NotificationKind, Template> templates, List<Escalation> escalations, Duration deduplicationWindow) {
    this.audiences = audiences;
    this.routes = routes;
    this.templates = templates;
    this.escalations = escalations;
    this.deduplicationWindow = deduplicationWindow;
  }

  public static CommunicationPlan none() {
    return NONE;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Map<String, List<Notifier>> audiences() { return audiences; }

  /** The audiences {@code kind} goes to. */
  public List<String> audiencesFor(NotificationKind kind) {
    return routes.getOrDefault(kind, List.of());
  }

  public boolean isEmpty() {
    return routes.isEmpty();
  }

  /** The message template for {@code kind}, if the plan has one; otherwise the engine's own wording is sent. */
  public Optional<Template> template(NotificationKind kind) {
    return Optional.ofNullable(templates.get(kind));
  }

  /** Who hears about an unacknowledged page next, in declaration order. */
  public List<Escalation> escalations() { return escalations; }

  /** The escalations that start at {@code audience}. */
  public List<Escalation> escalationsFrom(String audience) {
    return escalations.stream().filter(e -> e.from().equals(audience)).toList();
  }

  /** Identical messages to one audience within this window are sent once; zero turns de-duplication off. */
  public Duration deduplicationWindow() { return deduplicationWindow; }

  @Override
  public String toString() {
    Map<String, List<String>> names = new LinkedHashMap<>();
    audiences.forEach((k, v) -> names.put(k, v.stream().map(Notifier::name).toList()));
    return "CommunicationPlan[audiences=" + names + ", routes=" + routes + ", escalations=" + escalations + "]";
  }

  /**
   * A message template: {@code title} and {@code text} with {@code {placeholders}}. Unknown
   * placeholders are refused when the plan is built, so a typo never reaches an incident channel.
   */
  public record Template(String title, String text) {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+(?::[A-Za-z0-9_.-]+)?)}");
    private static final Set<String> NAMES = Set.of("plan", "deployment", "service", "version", "run", "audience",
        "kind", "title", "text");

    public Template {
      Objects.requireNonNull(title, "title");
      Objects.requireNonNull(text, "text");
      check(title);
      check(text);
    }

    private static void check(String template) {
      Matcher m = PLACEHOLDER.matcher(template);
      while (m.find()) {
        String name = m.group(1);
        if (!NAMES.contains(name) && !name.startsWith("fact:")) {
          throw new IllegalArgumentException("template '" + template + "' uses unknown placeholder {" + name
              + "}; known: " + new java.util.TreeSet<>(NAMES) + " and {fact:<name>}");
        }
      }
    }

    /** The title with its placeholders filled from {@code values} (keys as above, facts as {@code fact:name}). */
    public String fillTitle(Map<String, String> values) {
      return fill(title, values);
    }

    /** The text with its placeholders filled; a missing fact becomes "?". */
    public String fillText(Map<String, String> values) {
      return fill(text, values);
    }

    private static String fill(String template, Map<String, String> values) {
      Matcher m = PLACEHOLDER.matcher(template);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(m.group(1), "?")));
      }
      m.appendTail(out);
      return out.toString();
    }
  }

  /** When a page to {@code from} is not acknowledged within {@code after}, tell {@code to}. */
  public record Escalation(String from, Duration after, String to) {
    public Escalation {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(after, "after");
      Objects.requireNonNull(to, "to");
      if (after.isNegative() || after.isZero()) {
        throw new IllegalArgumentException("escalation from '" + from + "' to '" + to + "' must wait a positive time: " + after);
      }
      if (from.equals(to)) throw new IllegalArgumentException("escalation from '" + from + "' to itself");
    }
  }

  /**
   * What a {@link Notifier} throws to steer the retries: {@link #permanent} is not retried (a
   * Slack 4xx, a revoked PagerDuty key), {@link #retryAfter} waits as long as the channel asked
   * (HTTP 429 Retry-After). Any other exception is retried with backoff. The message must not
   * contain a secret.
   */
  public static final class DeliveryFailure extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean permanent;
    private final @org.jspecify.annotations.Nullable Duration retryAfter;

    private DeliveryFailure(String message, boolean permanent, @org.jspecify.annotations.Nullable Duration retryAfter) {
      super(message);
      this.permanent = permanent;
      this.retryAfter = retryAfter;
    }

    public static DeliveryFailure permanent(String message) {
      return new DeliveryFailure(message, true, null);
    }

    public static DeliveryFailure retryable(String message) {
      return new DeliveryFailure(message, false, null);
    }

    public static DeliveryFailure retryAfter(String message, Duration wait) {
      Objects.requireNonNull(wait, "wait");
      return new DeliveryFailure(message, false, wait.isNegative() ? Duration.ZERO : wait);
    }

    public boolean isPermanent() { return permanent; }

    public Optional<Duration> retryAfter() { return Optional.ofNullable(retryAfter); }
  }

  public static final class Builder {
    private final Map<String, List<Notifier>> audiences = new LinkedHashMap<>();
    private final Map<NotificationKind, List<String>> routes = new EnumMap<>(NotificationKind.class);
    private final Map<NotificationKind, Template> templates = new EnumMap<>(NotificationKind.class);
    private final List<Escalation> escalations = new ArrayList<>();
    private Duration deduplicationWindow = Duration.ZERO;

    private Builder() {}

    /** Words the message for {@code kind} with placeholders (see the class comment). */
    public Builder template(NotificationKind kind, String title, String text) {
      templates.put(Objects.requireNonNull(kind, "kind"), new Template(title, text));
      return this;
    }

    /**
     * A page (ROLLBACK_TRIGGERED, or HUMAN_NEEDED) to {@code fromAudience} that nobody acknowledged
     * within {@code after} goes to {@code toAudience} too. Rules chain (on-call, then engineering,
     * then management; {@code after} counts from the previous step); each audience hears a page
     * at most once, so an audience the page was routed to directly is not told again. A page stops
     * escalating once someone acknowledges the run after it was sent (a human answer at a gate
     * counts), once its gate is decided, and when the run ends or is cancelled.
     */
    public Builder escalate(String fromAudience, Duration after, String toAudience) {
      for (String a : List.of(fromAudience, toAudience)) {
        if (!audiences.containsKey(a)) {
          throw new IllegalArgumentException("escalation names audience '" + a + "', which is not defined; defined: " + audiences.keySet());
        }
      }
      escalations.add(new Escalation(fromAudience, after, toAudience));
      return this;
    }

    /** Sends a message identical to one already sent to the same audience within {@code window} only once. */
    public Builder deduplicateWithin(Duration window) {
      Objects.requireNonNull(window, "window");
      if (window.isNegative()) throw new IllegalArgumentException("de-duplication window must not be negative: " + window);
      this.deduplicationWindow = window;
      return this;
    }

    public Builder audience(String name, Notifier... notifiers) {
      Objects.requireNonNull(name, "audience name");
      if (name.isBlank()) throw new IllegalArgumentException("audience name must not be blank");
      List<Notifier> list = audiences.computeIfAbsent(name, k -> new ArrayList<>());
      for (Notifier n : notifiers) list.add(Objects.requireNonNull(n, "notifier"));
      return this;
    }

    public Builder route(NotificationKind kind, String... audienceNames) {
      Objects.requireNonNull(kind, "kind");
      List<String> list = routes.computeIfAbsent(kind, k -> new ArrayList<>());
      for (String a : audienceNames) {
        if (!audiences.containsKey(a)) {
          throw new IllegalArgumentException("route " + kind + " names audience '" + a + "', which is not defined; defined: " + audiences.keySet());
        }
        if (!list.contains(a)) list.add(a);
      }
      return this;
    }

    /** Routes every kind to {@code audienceName}. */
    public Builder routeAll(String audienceName) {
      for (NotificationKind k : EnumSet.allOf(NotificationKind.class)) route(k, audienceName);
      return this;
    }

    public CommunicationPlan build() {
      Map<String, List<Notifier>> a = new LinkedHashMap<>();
      audiences.forEach((k, v) -> a.put(k, List.copyOf(v)));
      Map<NotificationKind, List<String>> r = new EnumMap<>(NotificationKind.class);
      routes.forEach((k, v) -> r.put(k, List.copyOf(v)));
      Map<NotificationKind, Template> t = new EnumMap<>(NotificationKind.class);
      t.putAll(templates);
      return new CommunicationPlan(java.util.Collections.unmodifiableMap(a), java.util.Collections.unmodifiableMap(r),
          java.util.Collections.unmodifiableMap(t), List.copyOf(escalations), deduplicationWindow);
    }
  }

  static Set<NotificationKind> all() {
    return EnumSet.allOf(NotificationKind.class);
  }
}
