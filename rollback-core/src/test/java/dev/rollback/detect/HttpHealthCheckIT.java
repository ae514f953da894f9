package dev.rollback.detect;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP, TCP and composite checks against real servers on loopback. */
@Timeout(60)
class HttpHealthCheckIT {
  /** A ceiling that only guards against a hang: each wait ends on the event it waits for. */
  private static final Duration HANG_GUARD = Duration.ofMinutes(1);

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static HttpServer http;
  private static HttpsServer https;
  private static ServerSocket resetter;
  private static Thread resetterThread;
  private static final CountDownLatch release = new CountDownLatch(1);
  private static SSLContext serverSsl;
  private static KeyStore keyStore;

  @TempDir
  static Path dir;

  @BeforeAll
  static void start() throws Exception {
    http = HttpServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    http.createContext("/ok", ex -> respond(ex, 200, "{\"status\":\"UP\",\"db\":{\"status\":\"DOWN\"}}"));
    http.createContext("/unavailable", ex -> respond(ex, 503, "maintenance"));
    // a careless proxy: its error page echoes the request line and every header
    http.createContext("/echo", ex -> {
      StringBuilder b = new StringBuilder("502 bad gateway for GET " + ex.getRequestURI() + "\n");
      ex.getRequestHeaders().forEach((k, v) -> b.append(k).append(": ").append(String.join(", ", v)).append('\n'));
      respond(ex, 502, b.toString());
    });
    http.createContext("/secure", ex -> {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String tenant = ex.getRequestHeaders().getFirst("X-Tenant");
      respond(ex, "Bearer s3cret".equals(auth) && "shop".equals(tenant) ? 200 : 401, "");
    });
    http.createContext("/slow", ex -> {
      pause(250);
      respond(ex, 200, "ok");
    });
    http.createContext("/hang", ex -> {
      try {
        release.await(HANG_GUARD.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      respond(ex, 200, "too late");
    });
    http.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
    http.start();

    keyStore = selfSignedKeyStore(dir);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keyStore, "changeit".toCharArray());
    serverSsl = SSLContext.getInstance("TLS");
    serverSsl.init(kmf.getKeyManagers(), null, null);
    https = HttpsServer.create(new InetSocketAddress(LOOPBACK, 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(serverSsl));
    https.createContext("/ok", ex -> respond(ex, 200, "secure ok"));
    https.start();

    resetter = new ServerSocket(0, 50, LOOPBACK);
    resetterThread = new Thread(() -> {
      while (!resetter.isClosed()) {
        try (Socket s = resetter.accept()) {
          s.getInputStream().read(new byte[256]);
          s.setSoLinger(true, 0);
        } catch (IOException e) {
          // closed at the end of the test
        }
      }
    }, "resetting-server");
    resetterThread.setDaemon(true);
    resetterThread.start();
  }

  @AfterAll
  static void stop() throws Exception {
    release.countDown();
    http.stop(0);
    https.stop(0);
    resetter.close();
    resetterThread.join(5_000);
  }

  private static void pause(long millis) {
    try {
      new CountDownLatch(1).await(millis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void respond(HttpExchange ex, int status, String body) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      in.readAllBytes();
    }
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
    if (b.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(b);
      }
    }
    ex.close();
  }

  /** A PKCS12 key store with a self-signed certificate for 127.0.0.1, made by the JDK's keytool. */
  private static KeyStore selfSignedKeyStore(Path dir) throws Exception {
    Path ks = dir.resolve("server.p12");
    Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
    Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048",
        "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12",
        "-keystore", ks.toString(), "-storepass", "changeit", "-keypass", "changeit")
        .redirectErrorStream(true).redirectOutput(dir.resolve("keytool.log").toFile()).start();
    try {
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("keytool finished").isTrue();
      assertThat(p.exitValue()).as("keytool: " + Files.readString(dir.resolve("keytool.log"))).isZero();
    } finally {
      p.destroyForcibly();
    }
    KeyStore store = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(ks)) {
      store.load(in, "changeit".toCharArray());
    }
    return store;
  }

  /** Generous timeouts: the machine running the tests may be loaded; the hang test sets its own. */
  private static HttpHealthCheck http(String name, URI uri) {
    return HealthCheck.http(name, uri).withConnectTimeout(Duration.ofSeconds(10)).withReadTimeout(Duration.ofSeconds(10));
  }

  private static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + http.getAddress().getPort() + path);
  }

  @Test
  void anExpectedStatusIsUp() {
    Health h = http("checkout", uri("/ok")).check();
    assertThat(h.status()).isEqualTo(HealthStatus.UP);
    assertThat(h.detail()).contains("HTTP 200");
    assertThat(h.latency()).isPositive();
  }

  @Test
  void a5xxIsDownWithTheStatusAndTheBody() {
    Health h = http("checkout", uri("/unavailable")).check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("HTTP 503").contains("expected 200-299").contains("maintenance");
  }

  @Test
  void aStatusRangeCanAcceptOtherStatuses() {
    assertThat(http("checkout", uri("/unavailable")).expectStatus(200, 503).check().status()).isEqualTo(HealthStatus.UP);
  }

  @Test
  void aJsonPointerLooksInsideTheBody() {
    assertThat(http("checkout", uri("/ok")).expectJson("/status", "UP").check().status()).isEqualTo(HealthStatus.UP);
    Health db = http("checkout", uri("/ok")).expectJson("/db/status", "UP").check();
    assertThat(db.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(db.detail()).contains("JSON /db/status = \"UP\"").contains("found \"DOWN\"");
    Health missing = http("checkout", uri("/ok")).expectJson("/cache/status", "UP").check();
    assertThat(missing.detail()).contains("not found in the body");
  }

  @Test
  void aBodyPredicateThatFailsIsDown() {
    Health h = http("checkout", uri("/ok")).expectBody("mentions redis", b -> b.contains("redis")).check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("the body fails: mentions redis");
  }

  @Test
  void headersAndTheBearerTokenAreSentAndTheTokenIsNeverShown() {
    HttpHealthCheck check = http("checkout", uri("/secure")).withBearerToken("s3cret").withHeader("X-Tenant", "shop");
    assertThat(check.check().status()).isEqualTo(HealthStatus.UP);
    assertThat(check.toString()).doesNotContain("s3cret").contains("bearer ****");
    Health denied = http("checkout", uri("/secure")).withBearerToken("wrong").check();
    assertThat(denied.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(denied.detail()).contains("HTTP 401").doesNotContain("wrong");
    HttpHealthCheck withPassword = HealthCheck.http("checkout",
        URI.create("http://ops:hunter2@127.0.0.1:" + http.getAddress().getPort() + "/unavailable"));
    assertThat(withPassword.toString()).doesNotContain("hunter2").contains("****@127.0.0.1");
    assertThat(withPassword.check().detail()).doesNotContain("hunter2");
  }

  @Test
  void aServerEchoingTheRequestShowsNoTokenCredentialHeaderOrUrlSecretInTheDetail() {
    String token = "EchoedBearerT0kenSECRET";
    Health h = http("checkout", URI.create(uri("/echo").toString() + "?apiKey=QueryKeySECRET99"))
        .withBearerToken(token).withHeader("X-Api-Key", "HeaderKeySECRET77").withHeader("X-Tenant", "shop").check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("HTTP 502").contains("Bearer ***").contains("shop")
        .doesNotContain(token, "QueryKeySECRET99", "HeaderKeySECRET77");
  }

  @Test
  void aSlowAnswerIsDegraded() {
    Health h = http("checkout", uri("/slow")).withDegradedAbove(Duration.ofMillis(100)).check();
    assertThat(h.status()).isEqualTo(HealthStatus.DEGRADED);
    assertThat(h.detail()).contains("but slow");
  }

  @Test
  void anEndpointThatHangsIsUnknownAfterTheTimeout() {
    long start = System.nanoTime();
    Health h = http("checkout", uri("/hang")).withReadTimeout(Duration.ofMillis(300))
        .withConnectTimeout(Duration.ofMillis(200)).check();
    assertThat(h.status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(h.detail()).contains("no answer within 500 ms");
    // /hang never answers: returning at all is the timeout's work; the ceiling only tells a hang from a slow machine
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));
  }

  @Test
  void aResetConnectionIsDown() {
    Health h = http("checkout", URI.create("http://127.0.0.1:" + resetter.getLocalPort() + "/health")).check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("failed");
  }

  @Test
  void aRefusedConnectionIsDown() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      port = s.getLocalPort();
    }
    Health h = http("checkout", URI.create("http://127.0.0.1:" + port + "/health")).check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("cannot connect");
  }

  @Test
  void anUntrustedCertificateIsATlsFailure() {
    URI u = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/ok");
    Health h = http("checkout", u).check();
    assertThat(h.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(h.detail()).contains("TLS failure");
  }

  @Test
  void aTrustedPrivateCaAndDisabledVerificationBothPass() throws Exception {
    URI u = URI.create("https://127.0.0.1:" + https.getAddress().getPort() + "/ok");
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(keyStore);
    SSLContext trusting = SSLContext.getInstance("TLS");
    trusting.init(null, tmf.getTrustManagers(), null);
    assertThat(http("checkout", u).withSslContext(trusting).check().status()).isEqualTo(HealthStatus.UP);
    HttpHealthCheck insecure = http("checkout", u).withoutTlsVerification();
    assertThat(insecure.check().status()).isEqualTo(HealthStatus.UP);
    assertThat(insecure.toString()).contains("TLS unverified");
  }

  @Test
  void tcpChecksConnect() throws IOException {
    assertThat(HealthCheck.tcp("http port", "127.0.0.1", http.getAddress().getPort(), Duration.ofSeconds(1)).check().status())
        .isEqualTo(HealthStatus.UP);
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, LOOPBACK)) {
      port = s.getLocalPort();
    }
    Health closed = HealthCheck.tcp("closed port", "127.0.0.1", port, Duration.ofSeconds(1)).check();
    assertThat(closed.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(closed.detail()).contains("cannot connect to 127.0.0.1:" + port);
  }

  @Test
  void compositesKeepEachMembersResult() {
    HealthCheck up = http("ok", uri("/ok"));
    HealthCheck down = http("unavailable", uri("/unavailable"));
    HealthCheck unknown = HealthCheck.constant("metrics", HealthStatus.UNKNOWN);
    Health all = HealthCheck.all("everything", up, down).check();
    assertThat(all.status()).isEqualTo(HealthStatus.DOWN);
    assertThat(all.members()).extracting(Health::status).containsExactly(HealthStatus.UP, HealthStatus.DOWN);
    assertThat(all.detail()).contains("1 of 2 UP").contains("unavailable DOWN");
    assertThat(HealthCheck.quorum("two of three", 2, up, up, down).check().status()).isEqualTo(HealthStatus.UP);
    assertThat(HealthCheck.any("either", down, unknown).check().status()).isEqualTo(HealthStatus.UNKNOWN);
    assertThat(HealthCheck.any("either", down, up).check().status()).isEqualTo(HealthStatus.UP);
  }
}
