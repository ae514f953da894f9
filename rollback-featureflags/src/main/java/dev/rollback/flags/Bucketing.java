package dev.rollback.flags;

import dev.rollback.flags.internal.Murmur3;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Sticky bucketing as the flag systems compute it, so a plan can say which users a percentage
 * change affects before making it. Both use MurmurHash3 x86 32 over UTF-8 bytes:
 *
 * <ul>
 *   <li>{@link #flagd()}: hash of {@code flagKey + targetingKey}; bucket
 *       {@code |hash| / Integer.MAX_VALUE * 100} in float; variants take consecutive ranges in
 *       listed order ({@code fractional}).
 *   <li>{@link #unleash()}: hash of {@code groupId + ":" + userId} (groupId defaults to the flag
 *       name), unsigned, {@code % 100 + 1}; the user is in iff that is {@code <= rollout}
 *       ({@code flexibleRollout}). Variants: the same key hashed with seed {@code 86028157},
 *       unsigned, {@code % totalWeight + 1}; the first variant (in stored order, skipping weight 0)
 *       whose running weight reaches it.
 * </ul>
 *
 * <p>In both, the "on" bucket is a prefix of the range, so lowering a percentage never turns a
 * user on and raising it never turns one off.
 */
public interface Bucketing {

  /** Whether {@code targetingKey} is in the first {@code percent} of users of {@code flag}. */
  boolean isIn(String flag, String targetingKey, int percent);

  /** The variant {@code targetingKey} gets from {@code weights}. */
  String variant(String flag, String targetingKey, Rollout.Weights weights);

  /** flagd's {@code fractional} operation, as the flagd Java provider computes it. */
  static Bucketing flagd() {
    return Flagd.INSTANCE;
  }

  /** Unleash's {@code flexibleRollout} with stickiness on userId and the flag name as groupId. */
  static Bucketing unleash() {
    return Unleash.INSTANCE;
  }

  /** Of {@code users}, those whose answer differs between {@code fromPercent} and {@code toPercent}. */
  default List<String> affected(String flag, List<String> users, int fromPercent, int toPercent) {
    List<String> out = new ArrayList<>();
    for (String u : users) if (isIn(flag, u, fromPercent) != isIn(flag, u, toPercent)) out.add(u);
    return out;
  }

  /** flagd's bucket of a user, in [0, 100). */
  static float flagdBucket(String flag, String targetingKey) {
    int hash = Murmur3.hash32(flag + targetingKey, 0);
    return Math.abs(hash) * 1.0f / Integer.MAX_VALUE * 100;
  }

  /** Unleash's normalized value of a user, in [1, 100]. */
  static int unleashValue(String groupId, String userId) {
    return (int) (Integer.toUnsignedLong(Murmur3.hash32(groupId + ":" + userId, 0)) % 100) + 1;
  }

  /** The seed Unleash hashes with when it picks a variant (client specification, {@code VARIANT_SEED}). */
  int UNLEASH_VARIANT_SEED = 86028157;

  /** Unleash's variant target of a user, in [1, totalWeight]. */
  static int unleashVariantValue(String groupId, String userId, int totalWeight) {
    if (totalWeight <= 0) throw new IllegalArgumentException("total weight must be positive: " + totalWeight);
    return (int) (Integer.toUnsignedLong(Murmur3.hash32(groupId + ":" + userId, UNLEASH_VARIANT_SEED)) % totalWeight) + 1;
  }

  /** flagd bucketing. */
  enum Flagd implements Bucketing {
    INSTANCE;

    @Override
    public boolean isIn(String flag, String targetingKey, int percent) {
      return flagdBucket(flag, targetingKey) < (float) (percent * 100) / 100;
    }

    @Override
    public String variant(String flag, String targetingKey, Rollout.Weights weights) {
      float bucket = flagdBucket(flag, targetingKey);
      int total = weights.total();
      float sum = 0;
      String last = null;
      for (Map.Entry<String, Integer> e : weights.weights().entrySet()) {
        int w = e.getValue();
        sum += w == 0 ? 0 : (float) (w * 100) / total;
        last = e.getKey();
        if (bucket < sum) return e.getKey();
      }
      return Objects.requireNonNull(last);
    }
  }

  /** Unleash bucketing. */
  enum Unleash implements Bucketing {
    INSTANCE;

    @Override
    public boolean isIn(String flag, String targetingKey, int percent) {
      return percent > 0 && unleashValue(flag, targetingKey) <= percent;
    }

    /**
     * The strategy (or feature environment) variant {@code targetingKey} gets, with the flag name
     * as groupId and stickiness on userId; {@code weights} in the order Unleash stores them (it
     * sorts variants by name on every write, so use the weights {@link FlagStore#read} returns).
     */
    @Override
    public String variant(String flag, String targetingKey, Rollout.Weights weights) {
      int target = unleashVariantValue(flag, targetingKey, weights.total());
      int counter = 0;
      for (Map.Entry<String, Integer> e : weights.weights().entrySet()) {
        if (e.getValue() == 0) continue;
        counter += e.getValue();
        if (counter >= target) return e.getKey();
      }
      throw new IllegalStateException("no variant reaches " + target + " in " + weights); // counter ends at the total
    }
  }
}
