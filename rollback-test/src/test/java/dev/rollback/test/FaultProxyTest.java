package dev.rollback.test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class FaultProxyTest {
  private HttpServer upstream;
  // the JDK's default (HTTP/2) offers an upgrade to h2c on the first request: the proxy must still see every request
  private final HttpClient client = HttpClient.newHttpClient();

  @BeforeEach
  void startUpstream() throws IOException {
    upstream = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
    upstream.createContext("/", ex -> {
      byte[] in = ex.getRequestBody().readAllBytes();
      byte[] body = (ex.getRequestMethod() + " " + ex.getRequestURI() + " " + new String(in, StandardCharsets.UTF_8))
          .getBytes(StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    });
    upstream.start();
  }

  @AfterEach
  void stopUpstream() {
    upstream.stop(0);
  }

  private HttpResponse<String> send(FaultProxy proxy, String method, String path, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(proxy.uri() + path)).timeout(Duration.ofSeconds(30))
        .method(method, HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void passesRequestsAndTheirBodiesOnOneKeptAliveConnection() throws Exception {
    try (FaultProxy proxy = FaultProxy.http(upstream.getAddress().getPort())) {
      assertThat(send(proxy, "POST", "/a", "one").body()).isEqualTo("POST /a one");
      assertThat(send(proxy, "PUT", "/b", "two").body()).isEqualTo("PUT /b two");
      assertThat(proxy.applied()).isZero();
    }
  }

  @Test
  void answersMatchingRequestsWithTheChosenStatusTheChosenNumberOfTimesThenPassesAgain() throws Exception {
    try (FaultProxy proxy = FaultProxy.http(upstream.getAddress().getPort())) {
      proxy.inject(Fault.status(409).matching("PUT", r -> r.method().equals("PUT")).times(2));

      assertThat(send(proxy, "GET", "/x", "").statusCode()).isEqualTo(200);
      assertThat(send(proxy, "PUT", "/x", "a").statusCode()).isEqualTo(409);
      assertThat(send(proxy, "PUT", "/x", "b").statusCode()).isEqualTo(409);
      assertThat(send(proxy, "PUT", "/x", "c").body()).isEqualTo("PUT /x c");
      assertThat(proxy.log()).containsSubsequence("PUT /x -> status 409", "PUT /x -> status 409");
      assertThat(proxy.applied()).isEqualTo(2);
    }
  }

  @Test
  void letsTheFirstMatchingRequestsPassBeforeTheFaultApplies() throws Exception {
    try (FaultProxy proxy = FaultProxy.http(upstream.getAddress().getPort())) {
      proxy.inject(Fault.status(500).afterPassing(1));

      assertThat(send(proxy, "GET", "/1", "").statusCode()).isEqualTo(200);
      assertThat(send(proxy, "GET", "/2", "").statusCode()).isEqualTo(500);
    }
  }

  @Test
  void aHungRequestGetsNoAnswerUntilHealedThenItsConnectionIsClosed() throws Exception {
    try (FaultProxy proxy = FaultProxy.http(upstream.getAddress().getPort())) {
      proxy.inject(Fault.hang());
      // a POST: the JDK client would retry a GET on the closed connection, after the heal
      CompletableFuture<HttpResponse<String>> hung = client.sendAsync(HttpRequest.newBuilder(URI.create(proxy.uri() + "/h"))
          .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
      proxy.awaitApplied(1);
      assertThat(hung).isNotDone();

      proxy.heal();

      assertThatThrownBy(() -> hung.get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(IOException.class);
      assertThat(send(proxy, "GET", "/after", "").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aClosedConnectionFailsTheRequest() throws Exception {
    try (FaultProxy proxy = FaultProxy.http(upstream.getAddress().getPort())) {
      proxy.inject(Fault.close());

      assertThatThrownBy(() -> send(proxy, "GET", "/c", "")).isInstanceOf(IOException.class);
    }
  }

  @Test
  void theTcpModeRelaysBytesAndClosesConnectionsAfterTheFirstOnes() throws Exception {
    try (ServerSocket echo = new ServerSocket(0, 16, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        while (!echo.isClosed()) {
          try (Socket s = echo.accept()) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            out.write(in.readNBytes(4));
            out.flush();
          } catch (IOException e) {
            return;
          }
        }
      });
      t.setDaemon(true);
      t.start();
      try (FaultProxy proxy = FaultProxy.tcp(echo.getLocalPort())) {
        proxy.inject(Fault.close().afterPassing(1));

        assertThat(roundTrip(proxy.port(), "ping")).isEqualTo("ping");
        assertThatThrownBy(() -> roundTrip(proxy.port(), "pong")).isInstanceOf(IOException.class);
        assertThat(proxy.log()).contains("TCP #2 -> close");
      }
    }
  }

  @Test
  void aTcpProxyRefusesToAnswerWithAStatus() throws Exception {
    try (FaultProxy proxy = FaultProxy.tcp(upstream.getAddress().getPort())) {
      assertThatThrownBy(() -> proxy.inject(Fault.status(500)))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot answer with an HTTP status");
    }
  }

  private static String roundTrip(int port, String text) throws IOException {
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(text.getBytes(StandardCharsets.US_ASCII));
      byte[] back = s.getInputStream().readNBytes(4);
      if (back.length < 4) throw new IOException("connection closed after " + back.length + " bytes");
      return new String(back, StandardCharsets.US_ASCII);
    }
  }
}
