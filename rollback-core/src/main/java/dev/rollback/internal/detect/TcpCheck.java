package dev.rollback.internal.detect;

import dev.rollback.detect.Health;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.internal.Durations;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Objects;

/** UP when a TCP connection opens within the timeout; refused is DOWN, no answer UNKNOWN. */
public final class TcpCheck implements HealthCheck, TimedCheck {
  private final String name;
  private final String host;
  private final int port;
  private final Duration timeout;

  public TcpCheck(String name, String host, int port, Duration timeout) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(timeout, "timeout");
    if (port < 1 || port > 65535) throw new IllegalArgumentException("check '" + name + "': port must be 1-65535: " + port);
    if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("check '" + name + "': timeout must be positive: " + timeout);
    this.name = name;
    this.host = host;
    this.port = port;
    this.timeout = timeout;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public Duration timeout() {
    return timeout;
  }

  @Override
  public Health check() {
    long start = System.nanoTime();
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), (int) Math.max(1, timeout.toMillis()));
      return health(HealthStatus.UP, start, "connected to " + host + ":" + port);
    } catch (SocketTimeoutException e) {
      return health(HealthStatus.UNKNOWN, start, "no answer from " + host + ":" + port + " within " + Durations.human(timeout));
    } catch (ConnectException e) {
      return health(HealthStatus.DOWN, start, "cannot connect to " + host + ":" + port + ": " + e.getMessage());
    } catch (IOException | RuntimeException e) {
      return health(HealthStatus.DOWN, start, "cannot connect to " + host + ":" + port + ": " + e);
    }
  }

  private Health health(HealthStatus s, long start, String detail) {
    return Health.of(name, s, Duration.ofNanos(System.nanoTime() - start), detail);
  }

  @Override
  public String toString() {
    return "TcpHealthCheck[" + name + ", " + host + ":" + port + "]";
  }
}
