package dev.rollback.swarm;

import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.rollback.swarm.internal.Api;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * A connection to a Swarm manager's Docker Engine API, over docker-java's transport: hands out
 * {@link SwarmService} and {@link SwarmStack} handles. Close it when it opened the transport
 * itself ({@link #connect}); one made {@link #using} a caller's transport leaves it open.
 *
 * <pre>{@code
 * try (DockerSwarm swarm = DockerSwarm.connect(Path.of("/run/docker.sock"))) {
 *   SwarmService web = swarm.service("shop_web");
 *   Step back = Swarm.restoreKnownGood(web);
 * }
 * }</pre>
 */
public final class DockerSwarm implements AutoCloseable {
  private final Api api;
  private final DockerHttpClient http;
  private final boolean owned;

  private DockerSwarm(DockerHttpClient http, String host, boolean owned) {
    this.api = new Api(http, host);
    this.http = http;
    this.owned = owned;
  }

  /** Connects to the daemon's unix socket (docker-java's zero-dependency transport). */
  public static DockerSwarm connect(Path socket) {
    Objects.requireNonNull(socket, "socket");
    return connect(URI.create("unix://" + socket.toAbsolutePath()));
  }

  /** Connects to {@code unix:///path/docker.sock} (or any host docker-java's transport accepts). */
  public static DockerSwarm connect(URI dockerHost) {
    Objects.requireNonNull(dockerHost, "dockerHost");
    DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
        .dockerHost(dockerHost)
        .maxConnections(16)
        .connectionTimeout(Duration.ofSeconds(5))
        .responseTimeout(Duration.ofSeconds(60))
        .build();
    return new DockerSwarm(http, dockerHost.toString(), true);
  }

  /** Uses a docker-java transport the caller built and keeps (e.g. the one of its {@code DockerClient}). */
  public static DockerSwarm using(DockerHttpClient http, String hostForMessages) {
    return new DockerSwarm(Objects.requireNonNull(http, "http"), Objects.requireNonNull(hostForMessages, "hostForMessages"),
        false);
  }

  /** The service {@code name} (as {@code docker service ls} names it, e.g. {@code shop_web}). */
  public SwarmService service(String name) {
    return new SwarmService(api, requireName("service name", name));
  }

  /** The stack {@code namespace}: every service labelled {@code com.docker.stack.namespace=NAMESPACE}. */
  public SwarmStack stack(String namespace) {
    return new SwarmStack(api, requireName("stack namespace", namespace));
  }

  /** Requests sent through this connection so far. */
  public long requests() { return api.calls(); }

  /** The daemon's address, as given. */
  public String host() { return api.host(); }

  Api api() { return api; }

  static String requireName(String what, String value) {
    Objects.requireNonNull(value, what);
    if (value.isBlank()) throw new IllegalArgumentException(what + " must not be blank");
    return value;
  }

  @Override
  public void close() throws IOException {
    if (owned) http.close();
  }

  @Override
  public String toString() {
    return "DockerSwarm[" + api.host() + "]";
  }
}
