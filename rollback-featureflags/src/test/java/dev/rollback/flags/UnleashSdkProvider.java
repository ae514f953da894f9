package dev.rollback.flags;

import dev.openfeature.sdk.ErrorCode;
import dev.openfeature.sdk.EvaluationContext;
import dev.openfeature.sdk.FeatureProvider;
import dev.openfeature.sdk.Metadata;
import dev.openfeature.sdk.ProviderEvaluation;
import dev.openfeature.sdk.Reason;
import dev.openfeature.sdk.Value;
import io.getunleash.Unleash;
import io.getunleash.UnleashContext;
import io.getunleash.variant.Payload;
import io.getunleash.variant.Variant;

/**
 * The Unleash Java SDK behind OpenFeature, so tests observe Unleash through OpenFeature: booleans
 * from {@code isEnabled}, strings from {@code getVariant} (value = the payload's value, else the
 * variant name; variant = the variant name, {@code disabled} when the SDK has none for the user,
 * and then the caller's default with reason DISABLED). Other types are TYPE_MISMATCH.
 */
public final class UnleashSdkProvider implements FeatureProvider {
  private final Unleash unleash;

  public UnleashSdkProvider(Unleash unleash) {
    this.unleash = unleash;
  }

  @Override
  public Metadata getMetadata() {
    return () -> "unleash-java-sdk";
  }

  @Override
  public ProviderEvaluation<Boolean> getBooleanEvaluation(String key, Boolean defaultValue, EvaluationContext ctx) {
    UnleashContext.Builder b = UnleashContext.builder();
    if (ctx != null && ctx.getTargetingKey() != null) b.userId(ctx.getTargetingKey());
    boolean on = unleash.isEnabled(key, b.build(), defaultValue);
    return ProviderEvaluation.<Boolean>builder().value(on).variant(on ? "on" : "off").reason(Reason.TARGETING_MATCH.name()).build();
  }

  private static <T> ProviderEvaluation<T> unsupported(T defaultValue) {
    return ProviderEvaluation.<T>builder().value(defaultValue).errorCode(ErrorCode.TYPE_MISMATCH)
        .reason(Reason.ERROR.name()).build();
  }

  @Override
  public ProviderEvaluation<String> getStringEvaluation(String key, String defaultValue, EvaluationContext ctx) {
    UnleashContext.Builder b = UnleashContext.builder();
    if (ctx != null && ctx.getTargetingKey() != null) b.userId(ctx.getTargetingKey());
    Variant v = unleash.getVariant(key, b.build());
    if (!v.isEnabled()) {
      return ProviderEvaluation.<String>builder().value(defaultValue).variant(v.getName()).reason(Reason.DISABLED.name()).build();
    }
    String value = v.getPayload().map(Payload::getValue).orElse(v.getName());
    return ProviderEvaluation.<String>builder().value(value).variant(v.getName()).reason(Reason.TARGETING_MATCH.name()).build();
  }

  @Override
  public ProviderEvaluation<Integer> getIntegerEvaluation(String key, Integer defaultValue, EvaluationContext ctx) {
    return unsupported(defaultValue);
  }

  @Override
  public ProviderEvaluation<Double> getDoubleEvaluation(String key, Double defaultValue, EvaluationContext ctx) {
    return unsupported(defaultValue);
  }

  @Override
  public ProviderEvaluation<Value> getObjectEvaluation(String key, Value defaultValue, EvaluationContext ctx) {
    return unsupported(defaultValue);
  }
}
