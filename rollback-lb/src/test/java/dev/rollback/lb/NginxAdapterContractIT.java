package dev.rollback.lb;

import dev.rollback.spi.StateAdapter;
import dev.rollback.test.StateAdapterContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@link StateAdapterContract} for an upstream on a real NGINX 1.22 (Debian) in front of two
 * real HTTP backends, all on loopback. A write rewrites the upstream file and reloads, which
 * replaces the worker processes: the fingerprint has both.
 */
class NginxAdapterContractIT extends StateAdapterContract<RoutingState> {
  static TestBackend v1;
  static TestBackend v2;

  @TempDir Path dir;
  NginxProcess nginx;
  NginxRouter router;

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
  void startNginx() throws IOException {
    nginx = NginxProcess.start(dir, HaproxyProcess.servers(v1, v2), Map.of("v1", 100, "v2", 0));
    router = nginx.router();
  }

  @AfterEach
  void stopNginx() throws InterruptedException {
    if (nginx != null) nginx.close();
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

  /** The upstream file (text and modification time) and the worker processes accepting requests. */
  @Override
  protected Object fingerprint(StateAdapter<RoutingState> adapter) throws IOException {
    Path upstreams = nginx.upstreams();
    long master = Long.parseLong(Files.readString(nginx.pidFile()).trim());
    List<Long> workers = ProcessHandle.of(master).stream().flatMap(ProcessHandle::children)
        .map(ProcessHandle::pid).filter(NginxAdapterContractIT::accepting).sorted().toList();
    return List.of(Files.readString(upstreams), Files.getLastModifiedTime(upstreams), workers);
  }

  /** A worker that still takes requests: one that a reload retired renames itself "shutting down" and then exits. */
  private static boolean accepting(long pid) {
    try {
      String cmdline = Files.readString(Path.of("/proc", Long.toString(pid), "cmdline"), StandardCharsets.ISO_8859_1);
      return cmdline.contains("worker process") && !cmdline.contains("shutting down");
    } catch (IOException e) {
      return false; // gone
    }
  }
}
