package dev.rollback.jdbc.pitr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A PostgreSQL data directory: who runs on it ({@code postmaster.pid}), start, stop. */
final class ServerDirectory {
  final Path data;
  private final Processes proc;

  ServerDirectory(Path data, Processes proc) {
    this.data = data;
    this.proc = proc;
  }

  /** The postmaster pid file's lines, when there is one. */
  Optional<List<String>> pidFile() {
    try {
      return Optional.of(Files.readAllLines(data.resolve("postmaster.pid"), StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new PitrException("cannot read " + data.resolve("postmaster.pid") + ": " + e.getMessage(), e);
    }
  }

  /** The pid of a live postmaster on this directory. */
  Optional<Long> runningPid() {
    Optional<List<String>> lines = pidFile();
    if (lines.isEmpty() || lines.get().isEmpty()) return Optional.empty();
    long pid;
    try {
      pid = Long.parseLong(lines.get().get(0).trim());
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
    return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
  }

  /** The postmaster's status line ({@code starting}, {@code ready}, {@code standby}, {@code stopping}). */
  String status() {
    return pidFile().filter(l -> l.size() >= 8).map(l -> l.get(7).trim()).orElse("");
  }

  /** Starts the server without waiting ({@code pg_ctl start -W}); options are postgres' own. */
  void start(List<String> options, Path logFile, Duration timeout) {
    proc.require("starting PostgreSQL on " + data, "pg_ctl",
        List.of("start", "-W", "-D", data.toString(), "-l", logFile.toString(), "-o", String.join(" ", quoted(options))),
        Map.of(), timeout);
  }

  /**
   * Waits until the server on this directory accepts connections, or fails with the end of its log
   * when it exits first.
   */
  void awaitReady(Duration timeout, Path logFile, String what) {
    Instant deadline = Instant.now().plus(timeout);
    Instant pidDeadline = Instant.now().plus(Duration.ofSeconds(15));
    boolean seen = false;
    while (true) {
      Optional<Long> pid = runningPid();
      if (pid.isPresent()) {
        seen = true;
        if (status().equals("ready")) return;
      } else if (seen || Instant.now().isAfter(pidDeadline)) {
        throw new PitrException(what + ": the server on " + data + " exited; the end of its log " + logFile + ": "
            + logTail(logFile));
      }
      if (Instant.now().isAfter(deadline)) {
        throw new PitrException(what + ": the server on " + data + " was not ready within " + timeout + " (it is left running, pid "
            + pid.map(String::valueOf).orElse("?") + "); the end of its log " + logFile + ": " + logTail(logFile));
      }
      Progress.pause(20);
    }
  }

  /** {@code pg_ctl stop -m fast}, waiting up to {@code timeout}; false when it did not stop. */
  boolean stop(Duration timeout) {
    if (runningPid().isEmpty()) return true;
    Processes.Result r = proc.run("pg_ctl", List.of("stop", "-D", data.toString(), "-m", "fast", "-w", "-t",
        Long.toString(Math.max(1, timeout.toSeconds()))), Map.of(), timeout.plusSeconds(30));
    return r.exit() == 0 && runningPid().isEmpty();
  }

  static String logTail(Path logFile) {
    try {
      List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 8), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  static String log(Path logFile) {
    try {
      return Files.readString(logFile, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }

  private static List<String> quoted(List<String> options) {
    List<String> out = new ArrayList<>();
    for (String o : options) out.add("'" + o.replace("'", "'\\''") + "'");
    return out;
  }
}
