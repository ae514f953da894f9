package dev.rollback.cli.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the {@code rollback} command as a separate process, in a working directory of its own (state in {@code .rollback}). */
final class Cli {
  private static final AtomicInteger N = new AtomicInteger();
  final Path dir;
  private final Map<String, String> env;

  Cli(Path dir, Map<String, String> env) {
    this.dir = dir;
    this.env = env;
  }

  record Result(int exit, String out, String err) {
    @Override public String toString() {
      return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }

  /** A started command, its output going to files. */
  record Started(Process process, Path out, Path err) {
    Result await() throws IOException, InterruptedException {
      if (!process.waitFor(180, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new IllegalStateException("the rollback command did not end within 180 s:\n" + Files.readString(err));
      }
      return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }
  }

  Started start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp",
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")),
        "dev.rollback.cli.internal.Main"));
    cmd.addAll(List.of(args));
    int n = N.incrementAndGet();
    Path out = dir.resolve("cli-" + n + ".out");
    Path err = dir.resolve("cli-" + n + ".err");
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(dir.toFile())
        .redirectOutput(out.toFile()).redirectError(err.toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    return new Started(p, out, err);
  }

  Result run(String... args) throws IOException, InterruptedException {
    return start(args).await();
  }
}
