package dev.rollback.flags;

import dev.openfeature.contrib.providers.flagd.Config;
import dev.openfeature.contrib.providers.flagd.FlagdOptions;
import dev.openfeature.contrib.providers.flagd.FlagdProvider;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.StateAdapterContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link StateAdapterContract} for a flag in a flagd flag file, with the steps waiting until
 * the real flagd Java provider in FILE mode (polling the file every 100 ms) evaluates each write.
 * Any write replaces the file, so the fingerprint is its text and modification time.
 */
class FlagdFileAdapterContractIT extends StateAdapterContract<FlagState> {
  private static final String FLAG = "new-checkout";

  @TempDir Path dir;
  FlagdFileStore store;
  OpenFeatureAPI api;
  PropagationCheck check;

  @BeforeEach
  void startProvider() throws IOException {
    Path file = dir.resolve("flags.json");
    Files.writeString(file, FlagdFileStoreTest.FLAGS);
    store = FlagdFileStore.of(file);
    api = OpenFeatureAPI.createIsolated();
    api.setProviderAndWait(new FlagdProvider(FlagdOptions.builder()
        .resolverType(Config.Resolver.FILE)
        .offlineFlagSourcePath(file.toString())
        .offlinePollIntervalMs(100)
        .deadline(15_000)
        .build()));
    check = PropagationCheck.of(api.getClient()).withTimeout(Duration.ofMinutes(1));
  }

  @AfterEach
  void stopProvider() {
    if (api != null) api.shutdown();
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
    return FlagState.on(FLAG, Rollout.percent(10));
  }

  @Override
  protected FlagState changedState() {
    return FlagState.off(FLAG);
  }

  @Override
  protected Object fingerprint(StateAdapter<FlagState> adapter) throws IOException {
    return List.of(Files.readString(store.file()), Files.getLastModifiedTime(store.file()));
  }
}
