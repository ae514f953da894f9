package dev.rollback.flags;

import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.StateAdapterContract;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The {@link StateAdapterContract} for a flag of the {@link InMemoryFlagStore}, with the steps
 * waiting until an OpenFeature client served by the store's provider evaluates each write.
 */
class InMemoryFlagAdapterContractTest extends StateAdapterContract<FlagState> {
  private static final String FLAG = "new-checkout";

  InMemoryFlagStore store;
  OpenFeatureAPI api;
  PropagationCheck check;

  @BeforeEach
  void startClient() {
    store = InMemoryFlagStore.create().define(FLAG, Rollout.percent(50));
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(store.provider());
    check = PropagationCheck.of(api.getClient()).withTimeout(Duration.ofMinutes(1));
  }

  @AfterEach
  void stopClient() {
    api.shutdown();
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

  /** The state the store holds: every write of the in-memory store puts a new one, even an equal one. */
  @Override
  protected Object fingerprint(StateAdapter<FlagState> adapter) {
    return List.of(store.read(FLAG).toSnapshot(), new Same(store.read(FLAG)));
  }

  /** Equal only to itself wrapped again: the identity of what it holds. */
  private record Same(Object held) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Same s && s.held == held;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(held);
    }
  }
}
