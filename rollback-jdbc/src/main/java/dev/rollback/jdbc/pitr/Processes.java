package dev.rollback.jdbc.pitr;

import dev.rollback.spi.Redactor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Runs the PostgreSQL binaries, as the OS user that owns the data directories ({@code runuser}
 * when this JVM runs as root and that user is another one; the server refuses to run as root).
 */
final class Processes {
  private final Path bin;
  private final @Nullable String osUser;

  Processes(Path bin, @Nullable String osUser) {
    this.bin = bin;
    this.osUser = osUser;
  }

  Path bin() {
    return bin;
  }

  /** The result of one command. */
  record Result(int exit, String output) {}

  Result run(String tool, List<String> args, Map<String, String> env, Duration timeout) {
    String program = tool.startsWith("/") ? tool : bin.resolve(tool).toString();
    return runCommand(command(program, args), env, timeout);
  }

  Result shell(String script, Duration timeout) {
    return runCommand(command("/bin/sh", List.of("-c", script)), Map.of(), timeout);
  }

  /**
   * Runs {@code tool} and fails with its output unless it exits 0. The output passes the redactor
   * of every password handed to the tool (a {@code PGPASSWORD} variable, a {@code password=} argument).
   */
  String require(String what, String tool, List<String> args, Map<String, String> env, Duration timeout) {
    Result r = run(tool, args, env, timeout);
    if (r.exit() != 0) {
      throw new PitrException(what + " failed: " + tool + " exited " + r.exit() + ": "
          + tail(secrets(args, env).redact(r.output()), 2000));
    }
    return r.output();
  }

  private List<String> command(String program, List<String> args) {
    List<String> cmd = new ArrayList<>();
    if (osUser != null && "root".equals(System.getProperty("user.name")) && !"root".equals(osUser)) {
      cmd.addAll(List.of("runuser", "-u", osUser, "--"));
    }
    cmd.add(program);
    cmd.addAll(args);
    return cmd;
  }

  private static Result runCommand(List<String> cmd, Map<String, String> env, Duration timeout) {
    try {
      Path out = Files.createTempFile("rollback-pitr", ".out");
      try {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
          p.descendants().forEach(ProcessHandle::destroyForcibly);
          p.destroyForcibly();
          throw new PitrException(String.join(" ", redact(cmd)) + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PitrException("interrupted while running " + String.join(" ", redact(cmd)), e);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + String.join(" ", redact(cmd)), e);
    }
  }

  private static Redactor secrets(List<String> args, Map<String, String> env) {
    Redactor r = Redactor.none();
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getKey().toUpperCase(java.util.Locale.ROOT).contains("PASSWORD") && !e.getValue().isEmpty()) {
        r = r.and(Redactor.of(e.getValue()));
      }
    }
    for (String a : args) {
      for (String part : a.split("\\s+")) {
        if (part.startsWith("password=") && part.length() > "password=".length()) r = r.and(Redactor.of(part.substring(9)));
      }
    }
    return r;
  }

  private static List<String> redact(List<String> cmd) {
    // a connection string argument ("host=... password=...") is hidden in part, a bare one whole
    return cmd.stream().map(a -> a.replaceAll("(^|\\s)password=\\S*", "$1password=(redacted)")).toList();
  }

  /** Hands {@code paths} (directories with what is in them) to the OS user, when this JVM runs as root. */
  void own(Path... paths) {
    if (osUser == null || !"root".equals(System.getProperty("user.name")) || "root".equals(osUser)) return;
    List<String> cmd = new ArrayList<>(List.of("chown", "-R", osUser + ":"));
    for (Path p : paths) cmd.add(p.toString());
    Result r = runCommand(cmd, Map.of(), Duration.ofMinutes(10));
    if (r.exit() != 0) throw new PitrException("cannot hand " + List.of(paths) + " to the OS user " + osUser + ": " + r.output());
  }

  static int freeLoopbackPort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }

  static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  static String tail(String s, int chars) {
    return s.length() <= chars ? s.strip() : "…" + s.substring(s.length() - chars).strip();
  }
}
