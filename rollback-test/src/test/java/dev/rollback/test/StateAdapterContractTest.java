package dev.rollback.test;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.rollback.Snapshot;
import dev.rollback.StepContext;
import dev.rollback.spi.SnapshotCodec;
import dev.rollback.spi.StateAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The contract catches adapters that break it: each check below must fail for its broken adapter. */
class StateAdapterContractTest {

  /** A contract over {@code adapter}, moving between "blue" and "green", fingerprinted by {@code writes}. */
  private static StateAdapterContract<String> contractFor(StateAdapter<String> adapter, AtomicInteger writes) {
    return new StateAdapterContract<>() {
      @Override protected StateAdapter<String> adapter() { return adapter; }
      @Override protected String knownGoodState() { return "blue"; }
      @Override protected String changedState() { return "green"; }
      @Override protected Object fingerprint(StateAdapter<String> a) throws Exception {
        return a.read(FakeStepContext.create()) + " after " + writes.get() + " writes";
      }
    };
  }

  /** Delegates to an in-memory system; each test overrides the part it breaks. */
  private static class Delegating implements StateAdapter<String> {
    final FakeStateAdapter<String> system = FakeStateAdapter.ofStrings("broken dial", "blue");
    final AtomicInteger writes = new AtomicInteger();

    @Override public String describe() { return system.describe(); }
    @Override public String read(StepContext ctx) { return system.read(ctx); }
    @Override public void apply(String target, StepContext ctx) {
      if (!target.equals(system.state())) writes.incrementAndGet();
      system.apply(target, ctx);
    }
    @Override public SnapshotCodec<String> codec() { return system.codec(); }
  }

  @Test
  void anAdapterThatWritesAgainWhenTheSystemAlreadyMatchesFailsTheRepeatedApplyCheck() {
    Delegating reloadsEveryTime = new Delegating() {
      @Override public void apply(String target, StepContext ctx) {
        writes.incrementAndGet(); // e.g. a reload even when the config did not change
        system.apply(target, ctx);
      }
    };
    StateAdapterContract<String> contract = contractFor(reloadsEveryTime, reloadsEveryTime.writes);

    assertThatThrownBy(contract::applyingTheSameTargetAgainChangesNothing)
        .isInstanceOf(AssertionError.class).hasMessageContaining("after running the same step again");
  }

  @Test
  void anAdapterThatWritesWithoutCheckingItsLeaseFailsTheFencingCheck() {
    Delegating unfenced = new Delegating() {
      @Override public void apply(String target, StepContext ctx) {
        if (target.equals(system.state())) return;
        writes.incrementAndGet();
        system.set(target); // no ctx.lease().check() before the write
      }
    };

    assertThatThrownBy(contractFor(unfenced, unfenced.writes)::anAdapterWhoseLeaseIsLostWritesNothing)
        .isInstanceOf(AssertionError.class).hasMessageContaining("by a replica that lost its lease");
  }

  @Test
  void anAdapterWhoseCodecLosesTheStateFailsTheJournalCheck() {
    Delegating forgetful = new Delegating() {
      @Override public SnapshotCodec<String> codec() {
        return SnapshotCodec.of(s -> Snapshot.of("value", "blue"), s -> s.require("value"));
      }
    };

    assertThatThrownBy(contractFor(forgetful, forgetful.writes)::theTwoStatesDifferAndSurviveTheJournal)
        .isInstanceOf(AssertionError.class).hasMessageContaining("decode(encode(read())) of broken dial");
  }

  @Test
  void anAdapterThatAppliesADeltaInsteadOfATargetFailsTheRevertCheck() {
    Delegating delta = new Delegating() {
      @Override public void apply(String target, StepContext ctx) {
        if (target.equals(system.state())) return;
        writes.incrementAndGet();
        system.set(system.state() + "+" + target); // "add" instead of "set to"
      }
    };

    assertThatThrownBy(contractFor(delta, delta.writes)::aChangeIsRevertedToTheStateCapturedWhenTheReleaseStarted)
        .isInstanceOf(AssertionError.class).hasMessageContaining("RECOVERED");
  }

  @Test
  void anAdapterThatCannotTellTheStatesApartFailsAtOnce() {
    Delegating blind = new Delegating() {
      @Override public boolean matches(String target, String actual) { return true; }
    };

    assertThatThrownBy(contractFor(blind, blind.writes)::theTwoStatesDifferAndSurviveTheJournal)
        .isInstanceOf(AssertionError.class).hasMessageContaining("the two states must differ");
  }

  @Test
  void anAdapterThatIgnoresItsTargetFailsTheResumeCheck() {
    Delegating deaf = new Delegating() {
      int greens;
      @Override public void apply(String target, StepContext ctx) {
        if (target.equals("green") && ++greens > 1) return; // the first run works, the run after the crash does not
        system.apply(target, ctx);
      }
    };

    assertThatThrownBy(contractFor(deaf, deaf.writes)::aResumeAfterACrashBeforeTheWriteTookEffectAppliesItAgain)
        .isInstanceOf(AssertionError.class).hasMessageContaining("RECOVERED");
  }
}
