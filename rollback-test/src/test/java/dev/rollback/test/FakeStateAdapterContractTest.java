package dev.rollback.test;

import dev.rollback.spi.StateAdapter;
import dev.rollback.spi.StateSteps;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;

/** The contract passes for an adapter that keeps it: the in-memory one, waiting until settled. */
class FakeStateAdapterContractTest extends StateAdapterContract<String> {
  private FakeStateAdapter<String> system;

  @BeforeEach
  void start() {
    system = FakeStateAdapter.ofStrings("dial on the test bench", "blue");
    system.settleAfterPolls(2);
  }

  @Override protected StateAdapter<String> adapter() { return system; }
  @Override protected String knownGoodState() { return "blue"; }
  @Override protected String changedState() { return "green"; }

  @Override
  protected StateSteps<String> steps(StateAdapter<String> adapter) {
    return StateSteps.on(adapter).awaitingSettled(Duration.ofSeconds(10), Duration.ofMillis(1));
  }

  @Override
  protected Object fingerprint(StateAdapter<String> adapter) {
    return system.state() + " after " + system.writes().size() + " writes";
  }
}
