package dev.rollback.test;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A small proxy on a free loopback port in front of a real server, for fault-injection tests: it
 * passes, delays, hangs or closes connections (TCP mode), and in the HTTP modes does the same per
 * request or answers a request with a chosen status. {@link #https} terminates TLS with a throwaway
 * self-signed certificate (clients must trust any certificate, as test clients on loopback do) and
 * talks TLS to the upstream without checking its certificate.
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.https(apiServerPort)) {
 *   KubernetesClient client = clientFor(proxy.uri());
 *   proxy.inject(Fault.status(409).matching("writes", r -> !r.method().equals("GET")).times(2));
 *   ...
 *   proxy.awaitApplied(2);   // waits on the event, with a generous ceiling as a hang guard
 * }
 * }</pre>
 *
 * Only one fault is active at a time; {@link #inject} replaces it, {@link #heal()} goes back to
 * passing everything and closes the connections it was hanging. Requests are HTTP/1.1 without
 * pipelining (each request is read whole before it is forwarded or answered); an upgraded
 * connection (WebSocket) is passed through as bytes after its upgrade request.
 */
public final class FaultProxy implements AutoCloseable {
  /** A request (HTTP modes) or a connection (TCP mode: method {@code TCP}, target its number). */
  public record Request(String method, String target) {
    @Override
    public String toString() {
      return method + " " + target;
    }
  }

  private enum Mode { TCP, HTTP, HTTPS }

  private static final Duration HANG_GUARD = Duration.ofMinutes(2);

  private final Mode mode;
  private final int upstreamPort;
  private final ServerSocket server;
  private final ExecutorService threads;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final List<String> log = new ArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private Fault fault = Fault.pass();
  private int matched;
  private int applied;
  private int appliedTotal;
  private long generation;
  private volatile boolean closed;

  private FaultProxy(Mode mode, int upstreamPort) throws IOException {
    this.mode = mode;
    this.upstreamPort = upstreamPort;
    InetSocketAddress bind = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
    if (mode == Mode.HTTPS) {
      SSLServerSocket s = (SSLServerSocket) serverContext().getServerSocketFactory().createServerSocket();
      s.bind(bind, 128);
      this.server = s;
    } else {
      this.server = new ServerSocket();
      server.bind(bind, 128);
    }
    this.threads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "fault-proxy-" + server.getLocalPort());
      t.setDaemon(true);
      return t;
    });
    threads.execute(this::acceptLoop);
  }

  /** A byte-level proxy to {@code 127.0.0.1:upstreamPort}: faults apply per connection. */
  public static FaultProxy tcp(int upstreamPort) throws IOException {
    return new FaultProxy(Mode.TCP, checkPort(upstreamPort));
  }

  /** A plain HTTP/1.1 proxy to {@code 127.0.0.1:upstreamPort}: faults apply per request. */
  public static FaultProxy http(int upstreamPort) throws IOException {
    return new FaultProxy(Mode.HTTP, checkPort(upstreamPort));
  }

  /** An HTTPS proxy to an HTTPS server on {@code 127.0.0.1:upstreamPort}: TLS ends here, faults apply per request. */
  public static FaultProxy https(int upstreamPort) throws IOException {
    return new FaultProxy(Mode.HTTPS, checkPort(upstreamPort));
  }

  private static int checkPort(int port) {
    if (port < 1 || port > 65535) throw new IllegalArgumentException("upstreamPort must be 1..65535: " + port);
    return port;
  }

  /** The proxy's port on 127.0.0.1. */
  public int port() {
    return server.getLocalPort();
  }

  /** {@code http://127.0.0.1:port}, {@code https://…} or {@code tcp://…}, by mode. */
  public URI uri() {
    String scheme = switch (mode) {
      case TCP -> "tcp";
      case HTTP -> "http";
      case HTTPS -> "https";
    };
    return URI.create(scheme + "://127.0.0.1:" + port());
  }

  /**
   * Makes {@code fault} the active fault, replacing the previous one. A {@link Fault#close()} also
   * closes every connection open now (a server that drops its clients).
   */
  public FaultProxy inject(Fault fault) {
    Objects.requireNonNull(fault, "fault");
    if (fault.kind() == Fault.Kind.STATUS && mode == Mode.TCP) {
      throw new IllegalArgumentException("a TCP proxy cannot answer with an HTTP status: " + fault);
    }
    synchronized (this) {
      this.fault = fault;
      matched = 0;
      applied = 0;
      generation++;
      log.add("inject " + fault);
      notifyAll();
    }
    if (fault.kind() == Fault.Kind.CLOSE && fault.passFirst() == 0) closeOpenConnections();
    return this;
  }

  /** Passes everything again; the connections being hung are closed. */
  public FaultProxy heal() {
    return inject(Fault.pass());
  }

  /** How many times faults (other than pass) were applied since the proxy started. */
  public synchronized int applied() {
    return appliedTotal;
  }

  /** What the proxy saw and did, in order: each injection and each faulted request or connection. */
  public synchronized List<String> log() {
    return List.copyOf(log);
  }

  /**
   * Waits until the active fault has been applied {@code n} times (the event, not a deadline); a
   * ceiling of two minutes only guards against a hang, and its error names what was awaited.
   */
  public void awaitApplied(int n) throws InterruptedException {
    long deadline = System.nanoTime() + HANG_GUARD.toNanos();
    synchronized (this) {
      while (applied < n) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("fault proxy " + uri() + ": waited " + HANG_GUARD + " for " + fault + " to be applied "
              + n + " time(s), it was applied " + applied + " time(s); log: " + log);
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }
  }

  /** A fault to apply, and the injection it belongs to: a hang lasts until the next injection. */
  private record Decision(Fault fault, long generation) {}

  private synchronized Decision decide(Request request) {
    Fault f = fault;
    if (f.kind() == Fault.Kind.PASS || !f.matcher().test(request)) return new Decision(Fault.pass(), generation);
    matched++;
    if (matched <= f.passFirst() || applied >= f.maxTimes()) return new Decision(Fault.pass(), generation);
    applied++;
    appliedTotal++;
    log.add(request + " -> " + f.kind().name().toLowerCase(Locale.ROOT)
        + (f.kind() == Fault.Kind.STATUS ? " " + f.status() : ""));
    notifyAll();
    return new Decision(f, generation);
  }

  /**
   * Waits until the injection that decided the hang is replaced. Its generation is taken with the
   * decision: one read here instead would miss a heal that came between the two (a waiter told the
   * fault was applied heals at once) and hang until the proxy is closed.
   */
  private void hangUntilHealed(long g) throws InterruptedException {
    synchronized (this) {
      while (generation == g && !closed) wait();
    }
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (closed) return;
        continue;
      }
      open.add(client);
      int n = connections.incrementAndGet();
      threads.execute(() -> {
        try {
          if (mode == Mode.TCP) tcp(client, n);
          else http(client);
        } catch (IOException | RuntimeException e) {
          // the client or the upstream went away: nothing more to relay on this connection
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        } finally {
          closeQuietly(client);
        }
      });
    }
  }

  private void tcp(Socket client, int n) throws IOException, InterruptedException {
    Decision d = decide(new Request("TCP", "#" + n));
    Fault f = d.fault();
    switch (f.kind()) {
      case CLOSE -> {
        client.setSoLinger(true, 0);
        return;
      }
      case HANG -> {
        hangUntilHealed(d.generation());
        return;
      }
      case DELAY -> Thread.sleep(f.delayOrZero().toMillis());
      default -> { }
    }
    Socket upstream = connectUpstream();
    open.add(upstream);
    try {
      threads.execute(() -> pump(upstream, client));
      pump(client, upstream);
    } finally {
      closeQuietly(upstream);
    }
  }

  private void http(Socket client) throws IOException, InterruptedException {
    InputStream in = new BufferedInputStream(client.getInputStream());
    OutputStream out = client.getOutputStream();
    Socket upstream = null;
    try {
      while (true) {
        byte[] head = readHead(in);
        if (head == null) return;
        String text = new String(head, StandardCharsets.ISO_8859_1);
        String[] line = text.substring(0, text.indexOf("\r\n")).split(" ");
        Request request = new Request(line[0], line.length > 1 ? line[1] : "");
        long length = 0;
        boolean chunked = false;
        boolean upgrade = false;
        StringBuilder forwarded = new StringBuilder();
        for (String h : text.split("\r\n")) {
          String lower = h.toLowerCase(Locale.ROOT);
          if (lower.startsWith("content-length:")) length = Long.parseLong(h.substring(15).trim());
          if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
          // an offer to switch to cleartext HTTP/2 is dropped, so the connection stays HTTP/1.1
          // and every request on it is seen; other upgrades (WebSocket) pass through as bytes
          if (lower.startsWith("http2-settings:") || (lower.startsWith("upgrade:") && lower.contains("h2c"))) continue;
          if (lower.startsWith("connection:") && lower.contains("http2-settings")) continue;
          if (lower.startsWith("upgrade:")) upgrade = true;
          forwarded.append(h).append("\r\n");
        }
        head = forwarded.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
        Decision d = decide(request);
        Fault f = d.fault();
        switch (f.kind()) {
          case CLOSE -> {
            client.setSoLinger(true, 0);
            return;
          }
          case HANG -> {
            hangUntilHealed(d.generation());
            return;
          }
          case STATUS -> {
            copyBody(in, OutputStream.nullOutputStream(), length, chunked);
            byte[] body = f.body();
            String response = "HTTP/1.1 " + f.status() + " Injected fault\r\nContent-Type: " + f.contentType()
                + "\r\nContent-Length: " + body.length + "\r\n\r\n";
            out.write(response.getBytes(StandardCharsets.ISO_8859_1));
            out.write(body);
            out.flush();
            continue;
          }
          case DELAY -> Thread.sleep(f.delayOrZero().toMillis());
          default -> { }
        }
        if (upstream == null) {
          upstream = connectUpstream();
          open.add(upstream);
          Socket up = upstream;
          threads.execute(() -> {
            pump(up, client);
            closeQuietly(client);
          });
        }
        OutputStream upOut = upstream.getOutputStream();
        upOut.write(head);
        copyBody(in, upOut, length, chunked);
        upOut.flush();
        if (upgrade) {
          in.transferTo(upOut);
          return;
        }
      }
    } finally {
      if (upstream != null) closeQuietly(upstream);
    }
  }

  /** The request head up to and including the empty line, or null at the end of the stream. */
  private static byte[] readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matchedEnd = 0;
    while (matchedEnd < 4) {
      int b = in.read();
      if (b < 0) return null;
      head.write(b);
      matchedEnd = (b == '\r' && (matchedEnd == 0 || matchedEnd == 2)) || (b == '\n' && (matchedEnd == 1 || matchedEnd == 3))
          ? matchedEnd + 1 : (b == '\r' ? 1 : 0);
      if (head.size() > 64 * 1024) throw new IOException("request head over 64 KiB");
    }
    return head.toByteArray();
  }

  private static void copyBody(InputStream in, OutputStream out, long length, boolean chunked) throws IOException {
    if (!chunked) {
      copyExactly(in, out, length);
      return;
    }
    while (true) {
      String sizeLine = readLine(in);
      out.write((sizeLine + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      int semi = sizeLine.indexOf(';');
      long size = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).trim(), 16);
      if (size == 0) {
        String trailer;
        do {
          trailer = readLine(in);
          out.write((trailer + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
        } while (!trailer.isEmpty());
        return;
      }
      copyExactly(in, out, size + 2);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') sb.append((char) b);
    }
    if (b < 0) throw new IOException("end of stream in a chunked body");
    return sb.toString();
  }

  private static void copyExactly(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buf = new byte[8192];
    while (n > 0) {
      int r = in.read(buf, 0, (int) Math.min(buf.length, n));
      if (r < 0) throw new IOException("end of stream with " + n + " body bytes left");
      out.write(buf, 0, r);
      n -= r;
    }
  }

  private Socket connectUpstream() throws IOException {
    InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
    if (mode == Mode.HTTPS) {
      SSLSocket s = (SSLSocket) trustingClientContext().getSocketFactory().createSocket();
      s.connect(address, 10_000);
      s.startHandshake();
      return s;
    }
    Socket s = new Socket();
    s.connect(address, 10_000);
    return s;
  }

  private void pump(Socket from, Socket to) {
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      byte[] buf = new byte[16 * 1024];
      int n;
      while ((n = in.read(buf)) >= 0) {
        out.write(buf, 0, n);
        out.flush();
      }
      if (!(to instanceof SSLSocket)) to.shutdownOutput();
    } catch (IOException e) {
      closeQuietly(to);
    }
  }

  private void closeOpenConnections() {
    for (Socket s : List.copyOf(open)) {
      try {
        s.setSoLinger(true, 0);
      } catch (SocketException e) {
        // already closed
      }
      closeQuietly(s);
    }
  }

  private void closeQuietly(Socket s) {
    open.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    synchronized (this) {
      generation++;
      notifyAll();
    }
    try {
      server.close();
    } catch (IOException e) {
      // nothing to do
    }
    closeOpenConnections();
    threads.shutdownNow();
  }

  @Override
  public String toString() {
    return "FaultProxy " + uri() + " -> 127.0.0.1:" + upstreamPort + " (" + fault + ")";
  }

  // --- TLS on loopback: a throwaway certificate made by the JDK's keytool once per JVM ---

  private static SSLContext serverContext;

  private static synchronized SSLContext serverContext() throws IOException {
    if (serverContext != null) return serverContext;
    Path dir = Files.createTempDirectory("fault-proxy-tls");
    Path store = dir.resolve("proxy.p12");
    char[] password = Long.toHexString(new SecureRandom().nextLong()).toCharArray();
    String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
    Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "proxy", "-keyalg", "RSA", "-keysize", "2048",
        "-validity", "2", "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1,dns:localhost",
        "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", new String(password),
        "-keypass", new String(password))
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    try {
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException("keytool could not make the proxy's certificate: " + output);
      }
      KeyStore ks = KeyStore.getInstance("PKCS12");
      try (InputStream in = Files.newInputStream(store)) {
        ks.load(in, password);
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, password);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf.getKeyManagers(), null, null);
      serverContext = ctx;
      return ctx;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while making the proxy's certificate", e);
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("could not load the proxy's certificate: " + e, e);
    } finally {
      Files.deleteIfExists(store);
      Files.deleteIfExists(dir);
    }
  }

  private static SSLContext trustingClientContext() throws IOException {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new X509TrustManager() {
        @Override public void checkClientTrusted(X509Certificate[] chain, String authType) { }
        @Override public void checkServerTrusted(X509Certificate[] chain, String authType) { }
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
      }}, null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IOException("no TLS client context: " + e, e);
    }
  }
}
