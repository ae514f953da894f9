package dev.rollback.flags;

import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.StateAdapterContract;
import io.getunleash.DefaultUnleash;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link StateAdapterContract} for a flag in a real unleash-server 6.10.1 on PostgreSQL 15,
 * with the steps waiting until the Unleash Java SDK (polling every second) behind OpenFeature
 * evaluates each write. Every admin write leaves an event in the flag's audit trail, so the
 * fingerprint is the trail with the state read.
 */
class UnleashAdapterContractIT extends StateAdapterContract<FlagState> {
  private static final String FLAG = "contract-checkout";
  private static UnleashFlagStore store;
  private static DefaultUnleash unleash;
  private static OpenFeatureAPI api;
  private static PropagationCheck check;

  @BeforeAll
  static void startClient() throws Exception {
    UnleashServer server = UnleashServer.shared();
    store = UnleashFlagStore.builder(server.baseUrl, server.adminToken).build();
    store.create(FLAG, "kill-switch");
    unleash = server.sdk("rollback-contract", "contract-1");
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(new UnleashSdkProvider(unleash));
    check = PropagationCheck.of(api.getClient()).withTimeout(Duration.ofSeconds(30)).withPollInterval(Duration.ofMillis(20));
  }

  @AfterAll
  static void stopClient() {
    if (api != null) api.shutdown();
    if (unleash != null) unleash.shutdown();
  }

  @Override
  protected StateAdapter<FlagState> adapter() {
    return FeatureFlags.flag(store, FLAG, check);
  }

  @Override
  protected StateSteps<FlagState> steps(StateAdapter<FlagState> adapter) {
    return StateSteps.on(adapter).awaitingSettled(check.timeout(), check.pollInterval());
  }

  @Override
  protected FlagState knownGoodState() {
    return FlagState.on(FLAG, Rollout.percent(50));
  }

  @Override
  protected FlagState changedState() {
    return FlagState.off(FLAG);
  }

  @Override
  protected Object fingerprint(StateAdapter<FlagState> adapter) {
    return List.of(store.read(FLAG).toSnapshot(), store.events(FLAG));
  }
}
