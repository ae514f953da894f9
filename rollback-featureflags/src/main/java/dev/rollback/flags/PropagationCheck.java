package dev.rollback.flags;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EventDetails;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.spi.Settled;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * After a write, waits (bounded) until an OpenFeature client of the same flag system evaluates
 * the new state, and says how long that took. A flag write is not a rollback until the
 * application sees it: for Unleash that is the server's propagation plus the SDK's poll interval,
 * for a flagd file the provider's file poll.
 *
 * <p>It evaluates the flag for a set of sample users and compares each answer with what
 * {@link Bucketing} predicts for the expected state; it re-checks at once when the client reports
 * {@code PROVIDER_CONFIGURATION_CHANGED}, and at least every {@link #withPollInterval poll
 * interval}. What is compared depends on the state:
 *
 * <ul>
 *   <li>Off, or a percentage: the boolean answer (default {@code false}, the safe path), for the
 *       configured users plus one user per 5-point bucket band and one in the flag's first
 *       percent.
 *   <li>Variant weights: the variant each user gets. Where the store knows the variants' values
 *       (flagd file, in-memory) the value is evaluated with its type and compared, since not every
 *       provider reports the variant it chose (OpenFeature's {@code InMemoryProvider} reports its
 *       default); otherwise (Unleash) the variant name the provider reports for a string
 *       evaluation. Any evaluation error is a mismatch. The users: the configured ones, one user
 *       predicted into each variant with a weight, and, when the state before the write is given,
 *       up to {@value #MOVERS} users whose prediction differs between the two states, so the old
 *       state can never pass for the new one.
 * </ul>
 *
 * <pre>{@code
 * PropagationCheck check = PropagationCheck.of(OpenFeatureAPI.getInstance().getClient())
 *     .withTimeout(Duration.ofSeconds(10));
 * FeatureFlags.using(store).withPropagationCheck(check).killSwitch("new-checkout");
 * }</pre>
 *
 * <p>{@link #awaitVisible} waits itself; {@link #visibleNow} answers once, for a caller that
 * polls: the steps of {@link FeatureFlags} poll it through their flag's
 * {@link dev.rollback.spi.StateAdapter#settled} every {@link #withPollInterval poll interval} until
 * {@link #withTimeout the timeout}.
 */
public final class PropagationCheck {
  private final Client client;
  private final Duration timeout;
  private final Duration pollInterval;
  private final List<String> users;
  /** How many users whose prediction changes are added to a check given the state before the write. */
  public static final int MOVERS = 8;
  private static final int SEARCH = 20_000;
  private final java.util.Map<String, List<String>> samplesByFlag = new java.util.concurrent.ConcurrentHashMap<>();
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private long changes;

  private PropagationCheck(Client client, Duration timeout, Duration pollInterval, List<String> users) {
    this.client = client;
    this.timeout = timeout;
    this.pollInterval = pollInterval;
    this.users = List.copyOf(users);
  }

  /** Checks through {@code client}: 30 s timeout, 5 ms poll interval, 32 sample users. */
  public static PropagationCheck of(Client client) {
    Objects.requireNonNull(client, "client");
    return new PropagationCheck(client, Duration.ofSeconds(30), Duration.ofMillis(5), sampleUsers(32));
  }

  public PropagationCheck withTimeout(Duration timeout) {
    return new PropagationCheck(client, positive("timeout", timeout), pollInterval, users);
  }

  public PropagationCheck withPollInterval(Duration interval) {
    return new PropagationCheck(client, timeout, positive("poll interval", interval), users);
  }

  /** The targeting keys evaluated; more users catch more of a split, fewer are faster. */
  public PropagationCheck withSampleUsers(List<String> users) {
    Objects.requireNonNull(users, "users");
    if (users.isEmpty()) throw new IllegalArgumentException("sample users must not be empty");
    return new PropagationCheck(client, timeout, pollInterval, users);
  }

  public Duration timeout() { return timeout; }

  /** How often a waiting caller evaluates again when the client reports no change. */
  public Duration pollInterval() { return pollInterval; }

  public List<String> sampleUsers() { return users; }

  /** {@code n} synthetic targeting keys, {@code rollback-probe-0 … n-1}. */
  public static List<String> sampleUsers(int n) {
    if (n <= 0) throw new IllegalArgumentException("n must be positive: " + n);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) out.add("rollback-probe-" + i);
    return out;
  }

  /** Whether this check can predict the client's answers for {@code state} (not for custom rules). */
  public boolean canCheck(FlagState state) {
    return state.isPredictable();
  }

  /**
   * What a check saw: how long until the client agreed, on how many sample users, how many of
   * them change between the state before the write and the new one, and whether variants (not
   * booleans) were compared.
   */
  public record Seen(Duration took, int sampleUsers, int movedUsers, boolean variants) {
    /** For a journal note, e.g. {@code 12 users' variants, 8 of them moved}. */
    public String describe() {
      return sampleUsers + " users' " + (variants ? "variants" : "on/off answers")
          + (movedUsers > 0 ? ", " + movedUsers + " of them moved by the write" : "");
    }
  }

  /**
   * Waits until every sample user evaluates as {@code expected} predicts, and returns how long
   * that took from the call. Throws {@link PropagationTimeoutException} naming the first user
   * that still disagrees.
   */
  public Duration awaitVisible(FlagStore store, FlagState expected) {
    return awaitVisible(store, expected, null).took();
  }

  /**
   * As {@link #awaitVisible(FlagStore, FlagState)}, adding users whose prediction differs
   * between {@code previous} (the state before the write, if known and predictable) and
   * {@code expected}: the users a write moves, who are the ones that tell the new state from the
   * old.
   */
  public Seen awaitVisible(FlagStore store, FlagState expected, @Nullable FlagState previous) {
    long start = System.nanoTime();
    Probe probe = probe(store, expected, previous);
    long deadline = start + timeout.toNanos();
    Consumer<EventDetails> onChange = details -> signal();
    listen(onChange, true);
    try {
      while (true) {
        long seen;
        lock.lock();
        try {
          seen = changes;
        } finally {
          lock.unlock();
        }
        String mismatch = probe.firstMismatch();
        long now = System.nanoTime();
        if (mismatch == null) return probe.seen(Duration.ofNanos(now - start));
        if (now - deadline >= 0) {
          throw new PropagationTimeoutException("flag '" + expected.flag() + "' written to " + store.describe()
              + " is not visible to the OpenFeature client after " + timeout.toMillis() + " ms: " + mismatch
              + " (expected " + expected.describe() + ")", Duration.ofNanos(now - start));
        }
        long wait = Math.min(pollInterval.toNanos(), deadline - now);
        lock.lock();
        try {
          if (changes == seen) changed.awaitNanos(wait);
        } finally {
          lock.unlock();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlagException("interrupted while waiting for flag '" + expected.flag() + "' to propagate", e);
    } finally {
      listen(onChange, false);
    }
  }

  /**
   * Whether the client evaluates {@code flag} as {@code expected} predicts for every sample user
   * <em>now</em>: one round of evaluations, no waiting (for a caller that polls, such as
   * {@link dev.rollback.spi.StateSteps#awaitingSettled}). {@link Settled#yes} says what was
   * compared ({@code visible to the OpenFeature client (53 users' on/off answers)});
   * {@link Settled#notYet} names the first user that disagrees. {@code previous}, when given,
   * adds the users the write moves, as in {@link #awaitVisible(FlagStore, FlagState, FlagState)}.
   *
   * @throws IllegalArgumentException when {@code expected} has a custom targeting rule ({@link #canCheck})
   */
  public Settled visibleNow(FlagStore store, FlagState expected, @Nullable FlagState previous) {
    return probe(store, expected, previous).now();
  }

  /**
   * The sample users and what each should see under {@code expected}, worked out once, for
   * evaluating again and again while a write propagates.
   */
  Probe probe(FlagStore store, FlagState expected, @Nullable FlagState previous) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(expected, "expected");
    if (!canCheck(expected)) {
      throw new IllegalArgumentException(expected.describe() + " has a custom targeting rule; its evaluations cannot be predicted");
    }
    return new Probe(expected.flag(), plan(store, expected, previous));
  }

  /** One flag's expected evaluations; {@link #now()} evaluates them once. */
  final class Probe {
    private final String flag;
    private final Plan plan;

    private Probe(String flag, Plan plan) {
      this.flag = flag;
      this.plan = plan;
    }

    /** Settled when every sample user evaluates as expected; otherwise not yet, naming the first that does not. */
    Settled now() {
      String mismatch = firstMismatch();
      return mismatch == null ? Settled.yes("visible to the OpenFeature client (" + seen(Duration.ZERO).describe() + ")")
          : Settled.notYet("not yet visible to the OpenFeature client: " + mismatch);
    }

    private @Nullable String firstMismatch() {
      return PropagationCheck.this.firstMismatch(flag, plan);
    }

    private Seen seen(Duration took) {
      return new Seen(took, plan.expectations().size(), plan.moved(), plan.variants());
    }
  }

  /**
   * A health check, UP while the client evaluates {@code flag} as {@code store}'s current state
   * predicts for every sample user; DOWN naming the first user that disagrees; UNKNOWN for a
   * custom targeting rule. For {@code verifiedBy}: "the application sees the flag off".
   */
  public HealthCheck asHealthCheck(FlagStore store, String flag) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(flag, "flag");
    String name = "flag '" + flag + "' as clients see it";
    return new HealthCheck() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public Health check() {
        long start = System.nanoTime();
        try {
          FlagState state = store.read(flag);
          if (!state.isPredictable()) {
            return Health.of(name, HealthStatus.UNKNOWN, since(start), state.describe() + " has a custom targeting rule");
          }
          Plan plan = plan(store, state, null);
          String mismatch = firstMismatch(flag, plan);
          return mismatch == null
              ? Health.up(name, since(start), plan.expectations.size() + " sample users see " + state.describe())
              : Health.of(name, HealthStatus.DOWN, since(start), mismatch + " (" + store.describe() + " has " + state.describe() + ")");
        } catch (RuntimeException e) {
          return Health.of(name, HealthStatus.DOWN, since(start), e.getClass().getSimpleName() + ": " + e.getMessage());
        }
      }

      @Override
      public String toString() {
        return "HealthCheck[" + name + "]";
      }
    };
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /**
   * The configured users plus, found by hashing, one user in each 5-point band of the flag's
   * buckets and one in its first percent: so any two states that differ by a band, or an off
   * flag and one on for even 1%, are told apart whatever the configured users happen to hash to.
   */
  private List<String> samplesFor(String flag, Bucketing bucketing) {
    return samplesByFlag.computeIfAbsent(flag + '\u0000' + bucketing.getClass().getName(), k -> {
      List<String> out = new ArrayList<>(users);
      boolean[] band = new boolean[21];
      int missing = band.length;
      for (int i = 0; i < 20_000 && missing > 0; i++) {
        String u = "rollback-band-" + i;
        int b;
        if (bucketing.isIn(flag, u, 1)) {
          b = 20;
        } else {
          b = 0;
          while (b < 19 && !bucketing.isIn(flag, u, 5 * (b + 1))) b++;
        }
        if (!band[b]) {
          band[b] = true;
          missing--;
          out.add(u);
        }
      }
      return List.copyOf(out);
    });
  }

  /**
   * What one sample user should see: {@code on} when booleans are compared; else the variant and,
   * where the store knows it, that variant's value.
   */
  private record Expectation(String user, boolean on, @Nullable String variant, @Nullable Object value) {}

  /**
   * {@code onOff} gives the values of the flag's on and off variants, looked up only when a
   * boolean evaluation reports TYPE_MISMATCH (a non-boolean flag under a percentage or kill
   * switch); null entries where the store does not know them.
   */
  private record Plan(List<Expectation> expectations, int moved, boolean variants, java.util.function.Supplier<Object[]> onOff) {}

  private Plan plan(FlagStore store, FlagState expected, @Nullable FlagState previous) {
    String flag = expected.flag();
    Bucketing bucketing = store.bucketing();
    boolean variants = expected.enabled() && expected.rollout() instanceof Rollout.Weights;
    java.util.LinkedHashSet<String> users = new java.util.LinkedHashSet<>(samplesFor(flag, bucketing));
    // the off variant only matters to FlagState.isOnFor under weights, which are compared as variants here
    String off = "";
    java.util.Map<String, Object> values = variants ? store.variantValues(flag) : java.util.Map.of();
    if (variants) users.addAll(variantSamples(flag, bucketing, (Rollout.Weights) expected.rollout()));
    int moved = 0;
    if (previous != null && previous.flag().equals(flag) && previous.isPredictable()) {
      for (int i = 0; i < SEARCH && moved < MOVERS; i++) {
        String u = "rollback-move-" + i;
        if (!prediction(previous, u, bucketing, off).equals(prediction(expected, u, bucketing, off))) {
          users.add(u);
          moved++;
        }
      }
    }
    List<Expectation> out = new ArrayList<>(users.size());
    for (String u : users) {
      if (variants) {
        String v = bucketing.variant(flag, u, (Rollout.Weights) expected.rollout());
        out.add(new Expectation(u, true, v, checkable(values.get(v))));
      } else {
        out.add(new Expectation(u, expected.isOnFor(u, bucketing, off), null, null));
      }
    }
    Object[][] memo = new Object[1][];
    java.util.function.Supplier<Object[]> onOff = () -> {
      if (memo[0] == null) {
        java.util.Map<String, Object> all = store.variantValues(flag);
        memo[0] = new Object[] {valueOf(all, () -> store.onVariant(flag)), valueOf(all, () -> store.offVariant(flag))};
      }
      return memo[0];
    };
    return new Plan(List.copyOf(out), moved, variants, onOff);
  }

  /** A value this check can evaluate with its type (string, boolean, integer, double), else null. */
  private static @Nullable Object checkable(@Nullable Object v) {
    return v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Double ? v : null;
  }

  private static @Nullable Object valueOf(java.util.Map<String, Object> values, java.util.function.Supplier<String> variant) {
    try {
      return checkable(values.get(variant.get()));
    } catch (FlagException e) {
      return null; // the store cannot name that variant: the mismatch stays a mismatch
    }
  }

  /** What {@code state} predicts for a user, comparable across states. */
  private static String prediction(FlagState state, String user, Bucketing bucketing, String off) {
    if (state.enabled() && state.rollout() instanceof Rollout.Weights w) return "variant " + bucketing.variant(state.flag(), user, w);
    return state.isOnFor(user, bucketing, off) ? "on" : "off";
  }

  /** One user predicted into each variant that has a weight. */
  private List<String> variantSamples(String flag, Bucketing bucketing, Rollout.Weights weights) {
    String key = flag + '\u0000' + bucketing.getClass().getName() + '\u0000' + weights.encode();
    return samplesByFlag.computeIfAbsent(key, k -> {
      java.util.Set<String> missing = new java.util.HashSet<>();
      weights.weights().forEach((v, w) -> {
        if (w > 0) missing.add(v);
      });
      List<String> out = new ArrayList<>();
      for (int i = 0; i < SEARCH && !missing.isEmpty(); i++) {
        String u = "rollback-variant-" + i;
        if (missing.remove(bucketing.variant(flag, u, weights))) out.add(u);
      }
      return List.copyOf(out);
    });
  }

  private @Nullable String firstMismatch(String flag, Plan plan) {
    for (Expectation e : plan.expectations()) {
      ImmutableContext ctx = new ImmutableContext(e.user());
      if (e.variant() == null) {
        FlagEvaluationDetails<Boolean> d = client.getBooleanDetails(flag, false, ctx);
        if (d.getErrorCode() == dev.openfeature.sdk.ErrorCode.TYPE_MISMATCH) {
          // not a boolean flag: the answer is the value of its on or off variant
          Object want = plan.onOff().get()[e.on() ? 0 : 1];
          String m = valueMismatch(flag, ctx, e.user(), e.on() ? "on" : "off", want);
          if (m != null) return m;
          continue;
        }
        boolean got = Boolean.TRUE.equals(d.getValue());
        if (got != e.on()) {
          return "user '" + e.user() + "' gets " + got + " (reason " + d.getReason()
              + (d.getErrorCode() != null ? ", error " + d.getErrorCode() : "") + "), expected " + e.on();
        }
        continue;
      }
      Object want = e.value();
      if (want != null) {
        String m = valueMismatch(flag, ctx, e.user(), "'" + e.variant() + "'", want);
        if (m != null) return m;
        continue;
      }
      // the store does not know the variant's value: compare the variant name the provider reports
      FlagEvaluationDetails<String> d = client.getStringDetails(flag, "", ctx);
      if (!e.variant().equals(d.getVariant()) || d.getErrorCode() != null) {
        return "user '" + e.user() + "' gets variant '" + d.getVariant() + "' value '" + d.getValue() + "' (reason "
            + d.getReason() + (d.getErrorCode() != null ? ", error " + d.getErrorCode() : "") + "), expected variant '"
            + e.variant() + "'";
      }
    }
    return null;
  }

  /** Evaluates {@code flag} with {@code want}'s type; a description of the mismatch, or null when the value is {@code want}. */
  private @Nullable String valueMismatch(String flag, ImmutableContext ctx, String user, String variant, @Nullable Object want) {
    FlagEvaluationDetails<?> d;
    if (want instanceof String w) {
      d = client.getStringDetails(flag, w.isEmpty() ? "\u0000" : "", ctx);
    } else if (want instanceof Boolean w) {
      d = client.getBooleanDetails(flag, !w, ctx);
    } else if (want instanceof Integer w) {
      d = client.getIntegerDetails(flag, w + 1, ctx);
    } else if (want instanceof Double w) {
      d = client.getDoubleDetails(flag, w + 1, ctx);
    } else {
      return "user '" + user + "': flag '" + flag + "' is not boolean and the store does not know the value of its "
          + variant + " variant, so the answer cannot be checked";
    }
    if (want.equals(d.getValue()) && d.getErrorCode() == null) return null;
    return "user '" + user + "' gets variant '" + d.getVariant() + "' value '" + d.getValue() + "' (reason " + d.getReason()
        + (d.getErrorCode() != null ? ", error " + d.getErrorCode() : "") + "), expected variant " + variant + " value '" + want + "'";
  }

  private void listen(Consumer<EventDetails> onChange, boolean on) {
    try {
      if (on) client.onProviderConfigurationChanged(onChange);
      else client.removeHandler(dev.openfeature.sdk.ProviderEvent.PROVIDER_CONFIGURATION_CHANGED, onChange);
    } catch (RuntimeException e) {
      // a client without events is still polled
    }
  }

  private void signal() {
    lock.lock();
    try {
      changes++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  private static Duration positive(String what, Duration d) {
    Objects.requireNonNull(d, what);
    if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive: " + d);
    return d;
  }

  @Override
  public String toString() {
    return "PropagationCheck[timeout=" + timeout + ", " + users.size() + " users]";
  }
}
