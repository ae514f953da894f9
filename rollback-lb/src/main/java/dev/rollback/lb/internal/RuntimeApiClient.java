package dev.rollback.lb.internal;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Sends one command line to the HAProxy runtime API (non-interactive mode: HAProxy answers and
 * closes the connection) over a unix socket or TCP, with a deadline on connect, write and read.
 * The command must already be validated: this class refuses line breaks as a last line of defence.
 */
public final class RuntimeApiClient {
  private final SocketAddress address;
  private final boolean unix;
  private final Duration timeout;

  public RuntimeApiClient(SocketAddress address, boolean unix, Duration timeout) {
    this.address = address;
    this.unix = unix;
    this.timeout = timeout;
  }

  /** The full response text; throws {@link IOException} on connect, write or read failure or on timeout. */
  public String send(String command) throws IOException {
    if (command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("runtime API command must be one line: " + Names.escape(command));
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    try (SocketChannel ch = unix ? SocketChannel.open(StandardProtocolFamily.UNIX) : SocketChannel.open();
         Selector selector = Selector.open()) {
      ch.configureBlocking(false);
      if (!ch.connect(address)) {
        SelectionKey key = ch.register(selector, SelectionKey.OP_CONNECT);
        while (!ch.finishConnect()) {
          await(selector, deadline, "connect");
        }
        key.cancel();
        selector.selectNow();
      }
      ByteBuffer out = ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.US_ASCII));
      SelectionKey key = ch.register(selector, SelectionKey.OP_WRITE);
      while (out.hasRemaining()) {
        if (ch.write(out) == 0) await(selector, deadline, "write");
      }
      key.interestOps(SelectionKey.OP_READ);
      ByteArrayOutputStream response = new ByteArrayOutputStream();
      ByteBuffer in = ByteBuffer.allocate(16 * 1024);
      while (true) {
        int n = ch.read(in);
        if (n < 0) break;
        if (n == 0) {
          await(selector, deadline, "read the response");
          continue;
        }
        in.flip();
        response.write(in.array(), 0, in.limit());
        in.clear();
      }
      return response.toString(StandardCharsets.UTF_8);
    }
  }

  private static void await(Selector selector, long deadline, String what) throws IOException {
    long left = deadline - System.nanoTime();
    if (left <= 0) throw new IOException("timed out waiting to " + what);
    selector.select(Math.max(1, left / 1_000_000));
    selector.selectedKeys().clear();
  }
}
