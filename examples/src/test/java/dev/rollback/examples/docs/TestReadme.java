package dev.rollback.examples.docs;

import static dev.rollback.test.RollbackAssertions.assertThat;
import static java.time.Duration.ofMinutes;
import static java.time.Duration.ofSeconds;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.rollback.Decision;
import dev.rollback.Deployment;
import dev.rollback.Gate;
import dev.rollback.GateKind;
import dev.rollback.Reconciliation;
import dev.rollback.Release;
import dev.rollback.Retry;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.Step;
import dev.rollback.communication.CommunicationPlan;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.detect.RequestRecorder;
import dev.rollback.detect.Trigger;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.FeatureFlags;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.Rollout;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.lb.RoutingState;
import dev.rollback.lb.ServerRoute;
import dev.rollback.lb.Traffic;
import dev.rollback.lb.TrafficRouter;
import dev.rollback.spi.StateAdapter;
import dev.rollback.guard.Lease;
import dev.rollback.guard.Leases;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.spi.StateSteps;
import dev.rollback.test.CapturedLog;
import dev.rollback.test.EchoingHttpServer;
import dev.rollback.test.Fault;
import dev.rollback.test.FaultProxy;
import dev.rollback.test.FakeStateAdapter;
import dev.rollback.test.FakeStepContext;
import dev.rollback.test.LeaseRace;
import dev.rollback.test.RecordingNotifier;
import dev.rollback.test.RunOutputs;
import dev.rollback.test.ScriptedCheck;
import dev.rollback.test.ScriptedStep;
import dev.rollback.test.Simulation;
import dev.rollback.test.StateAdapterContract;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;

/**
 * What the examples of rollback-test/README.md take as given, all in memory, so
 * {@code DocsExamplesRunTest} runs them: flags in an in-memory store, an engine, and the router
 * of the contract example.
 */
public abstract class TestReadme implements AutoCloseable {
  protected final InMemoryFlagStore store = InMemoryFlagStore.create()
      .define("new-checkout", Rollout.percent(100))
      .define("new-pricing", Rollout.percent(100))
      .defineOff("new-search");
  protected final FeatureFlags flags = FeatureFlags.using(store);
  protected final RollbackEngine engine = RollbackEngine.builder().build();

  /** The router of the contract example: your own {@link TrafficRouter}. */
  protected abstract static class MyRouter implements TrafficRouter {
    protected static MyRouter start() {
      throw new UnsupportedOperationException("a router of your own");
    }

    protected abstract Object configVersion();
  }

  /** The example's code. */
  public abstract void example() throws Exception;

  @Override
  public void close() {
    engine.close();
  }
}
