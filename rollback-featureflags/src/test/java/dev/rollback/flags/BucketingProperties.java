package dev.rollback.flags;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rollback.flags.internal.Murmur3;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.NumericChars;
import net.jqwik.api.constraints.StringLength;
import org.apache.commons.codec.digest.MurmurHash3;

class BucketingProperties {

  @Property
  void murmurMatchesTheCommonsCodecHashFlagdUses(@ForAll byte[] data, @ForAll int seed) {
    assertThat(Murmur3.hash32(data, seed)).isEqualTo(MurmurHash3.hash32x86(data, 0, data.length, seed));
  }

  @Property
  void murmurHashesTheUtf8BytesOfAKey(@ForAll String key) {
    byte[] bytes = key.getBytes(StandardCharsets.UTF_8);
    assertThat(Murmur3.hash32(key, 0)).isEqualTo(MurmurHash3.hash32x86(bytes, 0, bytes.length, 0));
  }

  @Property
  void loweringAFlagdPercentageNeverTurnsAUserOn(@ForAll @AlphaChars @NumericChars @StringLength(min = 1, max = 30) String flag,
      @ForAll String user, @ForAll @IntRange(min = 0, max = 100) int a, @ForAll @IntRange(min = 0, max = 100) int b) {
    int high = Math.max(a, b);
    int low = Math.min(a, b);
    if (Bucketing.flagd().isIn(flag, user, low)) {
      assertThat(Bucketing.flagd().isIn(flag, user, high)).as("on at %d%% but off at %d%%", low, high).isTrue();
    }
  }

  @Property
  void loweringAnUnleashPercentageNeverTurnsAUserOn(@ForAll @AlphaChars @StringLength(min = 1, max = 30) String flag,
      @ForAll String user, @ForAll @IntRange(min = 0, max = 100) int a, @ForAll @IntRange(min = 0, max = 100) int b) {
    int high = Math.max(a, b);
    int low = Math.min(a, b);
    if (Bucketing.unleash().isIn(flag, user, low)) {
      assertThat(Bucketing.unleash().isIn(flag, user, high)).isTrue();
    }
  }

  @Property
  void nobodyIsInAtZeroPercentInUnleashAndEverybodyAtHundred(@ForAll String flag, @ForAll String user) {
    assertThat(Bucketing.unleash().isIn(flag, user, 0)).isFalse();
    assertThat(Bucketing.unleash().isIn(flag, user, 100)).isTrue();
    assertThat(Bucketing.unleashValue(flag, user)).isBetween(1, 100);
  }

  @Property
  void everybodyIsInAtHundredPercentInFlagd(@ForAll String flag, @ForAll String user) {
    assertThat(Bucketing.flagd().isIn(flag, user, 100)).isTrue();
  }

  @Property(tries = 200)
  void affectedUsersAreExactlyThoseWhoseAnswerChanges(@ForAll @IntRange(min = 0, max = 100) int from,
      @ForAll @IntRange(min = 0, max = 100) int to) {
    List<String> users = PropagationCheck.sampleUsers(200);
    List<String> affected = Bucketing.flagd().affected("checkout", users, from, to);
    for (String u : users) {
      boolean changes = Bucketing.flagd().isIn("checkout", u, from) != Bucketing.flagd().isIn("checkout", u, to);
      assertThat(affected.contains(u)).isEqualTo(changes);
    }
    if (to < from) {
      assertThat(affected).allMatch(u -> !Bucketing.flagd().isIn("checkout", u, to), "a lower percentage only turns users off");
    }
  }

  @Property
  void aTwoVariantWeightSplitBucketsLikeThePercentage(@ForAll String user, @ForAll @IntRange(min = 1, max = 99) int pct) {
    Rollout.Weights w = Rollout.weights("on", pct, "off", 100 - pct);
    assertThat(Bucketing.flagd().variant("f", user, w).equals("on")).isEqualTo(Bucketing.flagd().isIn("f", user, pct));
  }

  @Property
  void anUnleashVariantIsTheFirstWhoseRunningWeightReachesTheUsersTarget(@ForAll @AlphaChars @StringLength(min = 1, max = 30) String flag,
      @ForAll String user, @ForAll @IntRange(min = 0, max = 400) int a, @ForAll @IntRange(min = 0, max = 400) int b,
      @ForAll @IntRange(min = 1, max = 200) int c) {
    Rollout.Weights w = Rollout.weights("a", a, "b", b, "c", c);
    // the target computed independently: commons-codec's MurmurHash3 with Unleash's variant seed
    byte[] key = (flag + ":" + user).getBytes(StandardCharsets.UTF_8);
    long target = Integer.toUnsignedLong(MurmurHash3.hash32x86(key, 0, key.length, 86028157)) % (a + b + c) + 1;
    String expected = target <= a ? "a" : target <= a + b ? "b" : "c";
    assertThat(Bucketing.unleash().variant(flag, user, w)).isEqualTo(expected);
    assertThat(Bucketing.unleashVariantValue(flag, user, a + b + c)).isEqualTo((int) target);
  }
}
