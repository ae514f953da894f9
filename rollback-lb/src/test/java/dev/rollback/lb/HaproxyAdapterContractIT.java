package dev.rollback.lb;

import static org.awaitility.Awaitility.await;

import dev.rollback.spi.StateAdapter;
import dev.rollback.test.StateAdapterContract;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link StateAdapterContract} for a backend on a real HAProxy 2.6 (Debian) in front of two
 * real HTTP backends, all on loopback; the router keeps a server-state file, so any write shows
 * in the fingerprint as a rewritten file.
 */
class HaproxyAdapterContractIT extends StateAdapterContract<RoutingState> {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static TestBackend v1;
  static TestBackend v2;

  @TempDir Path dir;
  HaproxyProcess haproxy;
  HaproxyRouter router;

  @BeforeAll
  static void startBackends() throws IOException {
    v1 = TestBackend.start("v1");
    v2 = TestBackend.start("v2");
  }

  @AfterAll
  static void stopBackends() {
    v1.close();
    v2.close();
  }

  @BeforeEach
  void startHaproxy() throws IOException {
    haproxy = HaproxyProcess.start(dir, HaproxyProcess.servers(v1, v2), Map.of("v1", 100, "v2", 0));
    router = HaproxyRouter.unixSocket(haproxy.socket()).withServerStateFile(haproxy.stateFile());
    await("both servers UP in haproxy").atMost(HANG_GUARD).pollInterval(Duration.ofMillis(20))
        .until(() -> router.read("app").servers().values().stream().allMatch(r -> r.operational() == Operational.UP));
  }

  @AfterEach
  void stopHaproxy() throws InterruptedException {
    if (haproxy != null) haproxy.close();
  }

  @Override
  protected StateAdapter<RoutingState> adapter() {
    return Traffic.backend(router, "app");
  }

  @Override
  protected RoutingState knownGoodState() {
    return RoutingState.of("app", Map.of("v1", ServerRoute.ready(100), "v2", ServerRoute.ready(0)));
  }

  @Override
  protected RoutingState changedState() {
    return RoutingState.of("app", Map.of("v1", ServerRoute.of(100, AdminState.DRAIN), "v2", ServerRoute.ready(100)));
  }

  /** The routing HAProxy reports, and the server-state file the router rewrites after every change. */
  @Override
  protected Object fingerprint(StateAdapter<RoutingState> adapter) throws IOException {
    Path state = haproxy.stateFile();
    Object file = Files.exists(state) ? List.of(Files.getLastModifiedTime(state), Files.readString(state)) : "no state file";
    return List.of(router.read("app").toSnapshot(), file);
  }
}
