package dev.rollback.lb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.rollback.Deployment;
import dev.rollback.FailurePolicy;
import dev.rollback.KnownGood;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.RunOutcome;
import dev.rollback.StepOutcome;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.engine.RunOptions;
import dev.rollback.lb.LoadGenerator.Response;
import dev.rollback.test.FakeStepContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Against a real NGINX 1.22 (Debian) in front of two real HTTP backends, all on loopback. */
class NginxRouterIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  static TestBackend v1;
  static TestBackend v2;
  static RollbackEngine engine;

  @TempDir Path dir;
  NginxProcess nginx;
  NginxRouter router;

  @BeforeAll
  static void startBackends() throws IOException {
    v1 = TestBackend.start("v1");
    v2 = TestBackend.start("v2");
    engine = RollbackEngine.builder().build();
  }

  @AfterAll
  static void stopBackends() {
    engine.close();
    v1.close();
    v2.close();
  }

  @AfterEach
  void stopNginx() throws InterruptedException {
    if (nginx != null) nginx.close();
  }

  private void start(int w1, int w2) throws IOException {
    nginx = NginxProcess.start(dir, HaproxyProcess.servers(v1, v2), Map.of("v1", w1, "v2", w2));
    router = nginx.router();
  }

  private static RoutingState state(ServerRoute r1, ServerRoute r2) {
    return RoutingState.of("app", Map.of("v1", r1, "v2", r2));
  }

  @Test
  void blueGreenRollbackUnderLoadLosesNoRequestAndEndsOnTheKnownGoodRouting() throws Exception {
    start(100, 0);
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .sequential("traffic", s -> s.step(Traffic.restoreKnownGood(router, "app")))
        .verifiedBy(Traffic.routedAs(router, state(ServerRoute.ready(100), ServerRoute.ready(0))),
            Traffic.probe("checkout through nginx", URI.create("http://127.0.0.1:" + nginx.port() + "/"),
                Duration.ofSeconds(10)))
        .build();
    Deployment deployment = Deployment.of("checkout", "2.4.0");
    KnownGood knownGood = engine.captureKnownGood(plan, deployment);
    router.apply(state(ServerRoute.of(100, AdminState.DRAIN), ServerRoute.ready(100)), Cutover.drain());

    List<Response> responses;
    long rolledBackAt;
    RollbackResult result;
    try (LoadGenerator load = LoadGenerator.start(nginx.port(), 250)) {
      await().atMost(HANG_GUARD).until(() -> load.answered() >= 150);
      result = engine.start(plan, deployment, RunOptions.defaults().withKnownGood(knownGood)).await();
      rolledBackAt = System.nanoTime();
      long before = load.sent();
      await().atMost(HANG_GUARD).until(() -> load.sent() >= before + 150);
      assertThat(load.rate()).isGreaterThanOrEqualTo(200);
      responses = load.stop();
      RequestLedger.assertEveryRequestAnsweredExactlyOnce(load, responses, v1, v2);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(responses).filteredOn(r -> r.doneNanos() < rolledBackAt).anyMatch(r -> r.servedBy().equals("v2"));
    // old workers finish what they had; every request sent after the reload was confirmed goes to v1
    assertThat(responses).filteredOn(r -> r.sentNanos() > rolledBackAt).isNotEmpty()
        .allMatch(r -> r.servedBy().equals("v1"));
    assertThat(Files.readString(nginx.upstreams())).doesNotContain(" weight=0;").contains("max_fails=0 down;");
  }

  @Test
  void gradualShiftBackUnderLoadLosesNoRequest() throws Exception {
    start(0, 100);
    TrafficShift shift = Traffic.shiftBack(router, "app", "v2", "v1").inSteps(50, 10, 0)
        .withPause(Duration.ofMillis(300))
        .withHealthGate(Traffic.probe("app via nginx", URI.create("http://127.0.0.1:" + nginx.port() + "/health"),
            Duration.ofSeconds(10)), Duration.ofSeconds(20));
    RollbackPlan plan = RollbackPlan.builder("shift-back").sequential("traffic", s -> s.step(shift.toStep())).build();

    List<Response> responses;
    long doneAt;
    RollbackResult result;
    try (LoadGenerator load = LoadGenerator.start(nginx.port(), 250)) {
      await().atMost(HANG_GUARD).until(() -> load.answered() >= 100);
      result = engine.run(plan, Deployment.of("checkout", "2.4.0"));
      doneAt = System.nanoTime();
      long before = load.sent();
      await().atMost(HANG_GUARD).until(() -> load.sent() >= before + 150);
      assertThat(load.rate()).isGreaterThanOrEqualTo(200);
      responses = load.stop();
      RequestLedger.assertEveryRequestAnsweredExactlyOnce(load, responses, v1, v2);
    }

    assertThat(result.outcome()).as(result.summary()).isEqualTo(RunOutcome.RECOVERED);
    assertThat(responses).filteredOn(r -> r.sentNanos() < doneAt).extracting(Response::servedBy).contains("v1", "v2");
    assertThat(responses).filteredOn(r -> r.sentNanos() > doneAt).isNotEmpty().allMatch(r -> r.servedBy().equals("v1"));
    assertThat(router.read("app")).isEqualTo(state(ServerRoute.ready(100), ServerRoute.ready(0)));
    assertThat(Files.readString(nginx.upstreams()))
        .contains("max_fails=0 weight=100")
        .contains("max_fails=0 down");
  }

  @Test
  void aConfigThatFailsTheTestIsNotReloadedAndTheRoutingIsKept() throws Exception {
    start(100, 0);
    String before = Files.readString(nginx.upstreams());
    Files.writeString(nginx.extra(), "this_is_not_a_directive on;\n");

    assertThatThrownBy(() -> router.apply(state(ServerRoute.ready(0), ServerRoute.ready(100)), Cutover.drain()))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining(router.name())
        .hasMessageContaining("-t failed: exit code 1")
        .hasMessageContaining("unknown directive \"this_is_not_a_directive\"")
        .hasMessageContaining("previous routing state kept: app{v1=100/READY, v2=0/READY}");
    assertThat(Files.readString(nginx.upstreams())).isEqualTo(before);
    assertThat(Traffic.probe("v1 still serves", URI.create("http://127.0.0.1:" + nginx.port() + "/"),
        Duration.ofSeconds(10)).check().isUp()).isTrue();
  }

  @Test
  void aReloadTheMasterRejectsIsDetectedAlthoughNginxSaysNothing() throws Exception {
    start(100, 0);
    String before = Files.readString(nginx.upstreams());
    try (ServerSocket busy = new ServerSocket()) {
      busy.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      // passes nginx -t, but the master cannot bind it on reload and keeps the old config
      Files.writeString(nginx.extra(), "server { listen 127.0.0.1:" + busy.getLocalPort() + "; }\n");

      RollbackResult result = engine.run(RollbackPlan.builder("flip")
          .sequential("traffic", s -> s.step(Traffic.flipTo(router, "app", "v2")))
          .withFailurePolicy(FailurePolicy.CONTINUE).build(), Deployment.of("checkout", "2.4.0"));

      assertThat(result.step("traffic/flip app")).isInstanceOfSatisfying(StepOutcome.Failed.class, f ->
          assertThat(f.error()).contains(router.name(), "reload failed: the master rejected the new config",
              "[emerg]", "previous routing state kept"));
    }
    assertThat(Files.readString(nginx.upstreams())).isEqualTo(before);
  }

  @Test
  void refusesToLeaveTheUpstreamWithoutCapacityUnlessTold() throws IOException {
    start(100, 0);

    assertThatThrownBy(() -> router.apply(state(ServerRoute.ready(0), ServerRoute.ready(0)), Cutover.drain()))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining("no server taking traffic");
    assertThat(router.read("app").serving()).containsExactly("v1");
  }

  @Test
  void anUnknownUpstreamFailsNamingTheFile() throws IOException {
    start(100, 0);

    assertThatThrownBy(() -> router.read("nosuch"))
        .isInstanceOf(RouterException.class)
        .hasMessageContaining("read upstream nosuch from " + nginx.upstreams())
        .hasMessageContaining("no upstream nosuch block");
  }

  @Test
  void aSplitClientsBlockGivesAStickyPercentageSplitAndRollsBackToZero() throws Exception {
    nginx = NginxProcess.startSplit(dir, HaproxyProcess.servers(v1, v2), "v1");
    router = nginx.router();
    assertThat(router.read("app")).isEqualTo(state(ServerRoute.ready(100), ServerRoute.ready(0)));

    router.apply(state(ServerRoute.ready(80), ServerRoute.ready(20)), Cutover.drain());
    Map<String, String> first = servedByUser(400);
    long onV2 = first.values().stream().filter("v2"::equals).count();
    assertThat(onV2).isBetween(40L, 120L); // 20% of 400 users, by MurmurHash2 of the user id
    assertThat(servedByUser(400)).isEqualTo(first); // sticky: every user stays where they were
    assertThat(Files.readString(nginx.upstreams())).contains("20.00% v2;", "* v1;");

    Traffic.restoreKnownGood(router, "app").action()
        .run(FakeStepContext.builder().withKnownGood(state(ServerRoute.ready(100), ServerRoute.ready(0)).toSnapshot()).build());
    assertThat(servedByUser(100).values()).containsOnly("v1");
    assertThat(Files.readString(nginx.upstreams())).contains("# rollback-lb name=v2 weight=0 admin=READY");
  }

  private Map<String, String> servedByUser(int users) throws Exception {
    java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
    Map<String, String> out = new java.util.TreeMap<>();
    for (int u = 0; u < users; u++) {
      java.net.http.HttpResponse<String> r = client.send(java.net.http.HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + nginx.port() + "/work")).header("X-User", "user-" + u)
          .timeout(Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      out.put("user-" + u, r.headers().firstValue("X-Served-By").orElse("?"));
    }
    return out;
  }

}
