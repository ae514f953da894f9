package dev.rollback.bomtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.openfeature.sdk.Client;
import dev.openfeature.sdk.OpenFeatureAPI;
import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackResult;
import dev.rollback.communication.CommunicationPlan.DeliveryFailure;
import dev.rollback.communication.Notification;
import dev.rollback.communication.NotificationKind;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.flags.InMemoryFlagStore;
import dev.rollback.flags.Rollout;
import dev.rollback.jdbc.Migration;
import dev.rollback.jdbc.Migrations;
import dev.rollback.journal.FileJournal;
import dev.rollback.k8s.K8sApiException;
import dev.rollback.k8s.Kubernetes;
import dev.rollback.lb.NginxRouter;
import dev.rollback.lb.RoutingState;
import dev.rollback.micrometer.RollbackMetrics;
import dev.rollback.notify.EmailNotifier;
import dev.rollback.report.RunReport;
import dev.rollback.swarm.DockerSwarm;
import dev.rollback.swarm.SwarmApiException;
import dev.rollback.test.RollbackAssertions;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A project that imports only {@code rollback-bom} and depends on the modules as a user's pom does
 * (this module has no parent, so nothing else manages its versions). Each test makes one real call
 * into a module that loads the third-party classes it runs on: a version the BOM leaves to chance
 * fails here, as a {@code NoClassDefFoundError} or {@code NoSuchMethodError}, instead of on a
 * user's first call. No server is needed: calls that would reach one go to a closed loopback port.
 */
class ImportingOnlyTheBomTest {
  @TempDir Path dir;

  private static Release failingRelease() {
    return Release.builder("checkout-2.4.0")
        .forDeployment(Deployment.of("checkout", "2.4.0"))
        .change(Change.of("enable new-checkout", ctx -> {}, ctx -> {}))
        .change(Change.of("send traffic to green", ctx -> { throw new IllegalStateException("green refused"); }, ctx -> {}))
        .build();
  }

  @Test
  void coreRevertsAReleaseAndReportsItInJson() {
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(FileJournal.create(dir)).build()) {
      RollbackResult result = engine.run(failingRelease());

      RollbackAssertions.assertThat(result).isRecovered();
      assertThat(RunReport.of(engine.journal(), result.runId()).toJson())
          .contains("\"plan\"", "checkout-2.4.0", "RECOVERED");
    }
  }

  @Test
  void micrometerCountsTheRunsOfAnEngine() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (RollbackEngine engine = RollbackEngine.builder().withListener(RollbackMetrics.listener(registry)).build()) {
      engine.run(failingRelease());
    }

    assertThat(registry.get("rollback.runs.started").counter().count()).isEqualTo(1.0);
    assertThat(registry.get("rollback.runs.finished").tag("outcome", "RECOVERED").timer().count()).isEqualTo(1);
  }

  @Test
  void notifySendsMailThroughJakartaMailAndReportsTheClosedPort() throws IOException {
    int closed = closedLoopbackPort();
    EmailNotifier mail = EmailNotifier.smtp("127.0.0.1", closed).from("rollback@example.com").to("oncall@example.com")
        .withTimeout(Duration.ofSeconds(5));
    Notification n = new Notification(NotificationKind.ROLLBACK_TRIGGERED, "on-call", "checkout-1-abc", "checkout-2.4.0",
        Deployment.of("checkout", "2.4.0"), "Rolling back checkout@2.4.0", "error ratio 0.12 > 0.05", Map.of(),
        Notification.dedupKeyFor("checkout-1-abc"), Instant.parse("2026-11-26T22:00:00Z"));

    assertThatThrownBy(() -> mail.send(n))
        .isInstanceOfSatisfying(DeliveryFailure.class, f -> assertThat(f.isPermanent()).isFalse())
        .hasMessageContaining("SMTP to 127.0.0.1:" + closed + " failed");
  }

  @Test
  void jdbcParsesMigrationsWithJSqlParser() throws IOException {
    Files.writeString(dir.resolve("V1__orders.sql"), "CREATE TABLE orders (id BIGINT PRIMARY KEY, total NUMERIC(10, 2));\n");
    Files.writeString(dir.resolve("U1__orders.sql"), "DROP TABLE orders;\n");

    Migrations migrations = Migrations.builder(new NoDatabase()).fromFolder(dir).build();

    assertThat(migrations.migrations()).extracting(Migration::version).containsExactly("1");
    assertThat(migrations.migrations().get(0).isReversible()).isTrue();
  }

  @Test
  void lbReadsTheRoutingOfAnNginxUpstreamFile() throws IOException {
    Path upstreams = dir.resolve("upstreams.conf");
    Files.writeString(upstreams, """
        upstream app {
            server 127.0.0.1:8081 weight=100; # rollback-lb name=blue weight=100 admin=READY
            server 127.0.0.1:8082 down; # rollback-lb name=green weight=0 admin=READY
        }
        """);

    RoutingState state = NginxRouter.of(dir.resolve("nginx.conf"), upstreams).read("app");

    assertThat(state.serving()).containsExactly("blue");
  }

  @Test
  void k8sBuildsAFabric8ClientThatSerializesAndReportsTheUnreachableServer() throws IOException {
    int closed = closedLoopbackPort();
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:" + closed).withTrustCerts(true)
            .withRequestRetryBackoffLimit(0).withConnectionTimeout(5_000).build())
        .build()) {
      String json = client.getKubernetesSerialization().asJson(
          new DeploymentBuilder().withNewMetadata().withName("checkout").withNamespace("shop").endMetadata().build());
      assertThat(json).contains("\"name\":\"checkout\"");

      assertThatThrownBy(() -> Kubernetes.using(client).deployment("shop", "checkout").rolloutStatus())
          .isInstanceOf(K8sApiException.class)
          .hasMessageContaining("API server unreachable")
          .hasRootCauseInstanceOf(ConnectException.class);
    }
  }

  @Test
  void featureflagsServesItsFlagsThroughOpenFeature() {
    InMemoryFlagStore store = InMemoryFlagStore.create().define("new-checkout", Rollout.all());
    OpenFeatureAPI api = OpenFeatureAPI.createIsolated();
    try {
      api.setProviderAndWait(store.provider());
      Client client = api.getClient();
      assertThat(client.getBooleanValue("new-checkout", false)).isTrue();

      store.disable("new-checkout");

      assertThat(client.getBooleanValue("new-checkout", true)).isFalse();
    } finally {
      api.shutdown();
    }
  }

  @Test
  void swarmTalksThroughDockerJavasTransportAndReportsTheMissingDaemon() {
    Path socket = dir.resolve("docker.sock");
    try (DockerSwarm swarm = DockerSwarm.connect(socket)) {
      assertThatThrownBy(() -> swarm.service("shop_web").capture())
          .isInstanceOfSatisfying(SwarmApiException.class, e -> assertThat(e.isUnreachable()).isTrue())
          .hasMessageContaining("cannot reach the Docker daemon at unix://" + socket);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A loopback port nothing listens on (it was free a moment ago). */
  private static int closedLoopbackPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Building {@link Migrations} reads and parses the scripts only: it never connects. */
  private static final class NoDatabase implements DataSource {
    @Override public Connection getConnection() throws SQLException { throw new SQLException("no database in this test"); }
    @Override public Connection getConnection(String user, String password) throws SQLException { return getConnection(); }
    @Override public PrintWriter getLogWriter() { return null; }
    @Override public void setLogWriter(PrintWriter out) {}
    @Override public void setLoginTimeout(int seconds) {}
    @Override public int getLoginTimeout() { return 0; }
    @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
    @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
    @Override public boolean isWrapperFor(Class<?> iface) { return false; }
  }
}
