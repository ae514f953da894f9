package dev.rollback.flags;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.EventDetails;
import dev.openfeature.sdk.FlagEvaluationDetails;
import dev.openfeature.sdk.ImmutableContext;
import dev.rollback.Health;
import dev.rollback.HealthCheck;
import dev.rollback.HealthStatus;
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
 * <p>It evaluates the flag as a boolean (default {@code false}, the safe path) for a fixed set of
 * sample users and compares each answer with what {@link Bucketing} predicts for the expected
 * state; it re-checks at once when the client reports {@code PROVIDER_CONFIGURATION_CHANGED}, and
 * at least every {@link #withPollInterval poll interval}.
 *
 * <pre>{@code
 * PropagationCheck check = PropagationCheck.of(OpenFeatureAPI.getInstance().getClient())
 *     .withTimeout(Duration.ofSeconds(10));
 * FeatureFlags.using(store).withPropagationCheck(check).killSwitch("new-checkout");
 * }</pre>
 */
public final class PropagationCheck {
  private final Client client;
  private final Duration timeout;
  private final Duration pollInterval;
  private final List<String> users;
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
   * Waits until every sample user evaluates as {@code expected} predicts, and returns how long
   * that took from the call. Throws {@link PropagationTimeoutException} naming the first user
   * that still disagrees.
   */
  public Duration awaitVisible(FlagStore store, FlagState expected) {
    Objects.requireNonNull(store, "store");
    Objects.requireNonNull(expected, "expected");
    if (!canCheck(expected)) {
      throw new IllegalArgumentException(expected.describe() + " has a custom targeting rule; its evaluations cannot be predicted");
    }
    long start = System.nanoTime();
    List<String> users = samplesFor(expected.flag(), store.bucketing());
    boolean[] want = new boolean[users.size()];
    String off = expected.enabled() ? store.offVariant(expected.flag()) : "";
    for (int i = 0; i < want.length; i++) want[i] = expected.isOnFor(users.get(i), store.bucketing(), off);
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
        String mismatch = firstMismatch(expected.flag(), users, want);
        long now = System.nanoTime();
        if (mismatch == null) return Duration.ofNanos(now - start);
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
          List<String> users = samplesFor(flag, store.bucketing());
          boolean[] want = new boolean[users.size()];
          String off = state.enabled() ? store.offVariant(flag) : "";
          for (int i = 0; i < want.length; i++) want[i] = state.isOnFor(users.get(i), store.bucketing(), off);
          String mismatch = firstMismatch(flag, users, want);
          return mismatch == null
              ? Health.up(name, since(start), users.size() + " sample users see " + state.describe())
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

  private @Nullable String firstMismatch(String flag, List<String> users, boolean[] want) {
    for (int i = 0; i < want.length; i++) {
      FlagEvaluationDetails<Boolean> d = client.getBooleanDetails(flag, false, new ImmutableContext(users.get(i)));
      boolean got = Boolean.TRUE.equals(d.getValue());
      if (got != want[i]) {
        return "user '" + users.get(i) + "' gets " + got + " (reason " + d.getReason()
            + (d.getErrorCode() != null ? ", error " + d.getErrorCode() : "") + "), expected " + want[i];
      }
    }
    return null;
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
