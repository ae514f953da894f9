package dev.rollback;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

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
 *     .build();
 * }</pre>
 */
public final class CommunicationPlan {
  private static final CommunicationPlan NONE = new CommunicationPlan(Map.of(), Map.of());

  private final Map<String, List<Notifier>> audiences;
  private final Map<NotificationKind, List<String>> routes;

  private CommunicationPlan(Map<String, List<Notifier>> audiences, Map<NotificationKind, List<String>> routes) {
    this.audiences = audiences;
    this.routes = routes;
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

  public static final class Builder {
    private final Map<String, List<Notifier>> audiences = new LinkedHashMap<>();
    private final Map<NotificationKind, List<String>> routes = new EnumMap<>(NotificationKind.class);

    private Builder() {}

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
      return new CommunicationPlan(java.util.Collections.unmodifiableMap(a), java.util.Collections.unmodifiableMap(r));
    }
  }

  static Set<NotificationKind> all() {
    return EnumSet.allOf(NotificationKind.class);
  }
}
