package dev.rollback.notify;

import java.time.Duration;
import java.time.Instant;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;

class WebhookSignatureProperties {
  private static final Instant NOW = Instant.parse("2026-11-26T22:00:00Z");

  @Property(tries = 300)
  void aSignedBodyVerifies(@ForAll @StringLength(min = 1, max = 40) String key, @ForAll String body,
      @ForAll @IntRange(min = -300, max = 300) int skewSeconds) {
    Assume.that(!key.isBlank());
    Secret secret = Secret.of(key);
    String ts = Long.toString(NOW.getEpochSecond());
    String sig = "v1=" + WebhookNotifier.sign(secret, ts, body);
    org.assertj.core.api.Assertions.assertThat(
        WebhookNotifier.verify(secret, ts, body, sig, NOW.plusSeconds(skewSeconds), Duration.ofMinutes(5))).isTrue();
  }

  @Property(tries = 300)
  void anyChangeToTheBodyBreaksTheSignature(@ForAll @StringLength(min = 1, max = 200) String body,
      @ForAll @IntRange(min = 0, max = 199) int at, @ForAll char replacement) {
    Assume.that(at < body.length() && body.charAt(at) != replacement);
    Secret secret = Secret.of("k");
    String ts = Long.toString(NOW.getEpochSecond());
    String sig = "v1=" + WebhookNotifier.sign(secret, ts, body);
    String tampered = body.substring(0, at) + replacement + body.substring(at + 1);
    org.assertj.core.api.Assertions.assertThat(
        WebhookNotifier.verify(secret, ts, tampered, sig, NOW, Duration.ofMinutes(5))).isFalse();
  }

  @Property(tries = 200)
  void aSecretMatchesOnlyItself(@ForAll @StringLength(min = 1, max = 30) String a, @ForAll String b) {
    Assume.that(!a.isBlank());
    org.assertj.core.api.Assertions.assertThat(Secret.of(a).matches(b)).isEqualTo(a.equals(b));
    org.assertj.core.api.Assertions.assertThat(Secret.of(a).matches(a)).isTrue();
  }
}
