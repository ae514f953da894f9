package dev.rollback.jdbc.pitr;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A copy of the cluster recovered from a base backup and the WAL archive, in its own directory
 * ({@code data/}, a 0700 {@code sock/} for its unix socket, {@code log}, its own {@code pg_hba.conf},
 * and {@code state}, which says how far the recovery got). It listens on a free 127.0.0.1 port with
 * password authentication and never archives. A recovery that stopped midway is continued, or
 * started clean from the base backup when its copy is incomplete; a server still running on the
 * directory is waited for, never joined by a second one.
 */
final class RecoveredInstance {
  static final String SETTINGS_MARK = "# --- rollback-pitr recovery settings (removed when this cluster replaces the live one) ---";
  final Path dir;
  final Path data;
  final Path sock;
  final Path logFile;
  private final Path hba;
  private final Path stateFile;
  private final Processes proc;
  private final PgLogin login;
  private final Duration timeout;
  private final ServerDirectory server;
  private final Properties state = new Properties();
  private final Map<String, String> settings;

  RecoveredInstance(Path dir, Processes proc, PgLogin login, Duration timeout, Map<String, String> settings) {
    this.settings = settings;
    this.dir = dir.toAbsolutePath().normalize();
    this.data = this.dir.resolve("data");
    this.sock = this.dir.resolve("sock");
    this.logFile = this.dir.resolve("log");
    this.hba = this.dir.resolve("pg_hba.conf");
    this.stateFile = this.dir.resolve("state");
    this.proc = proc;
    this.login = login;
    this.timeout = timeout;
    this.server = new ServerDirectory(data, proc);
    loadState();
  }

  String phase() {
    return state.getProperty("phase", "");
  }

  int port() {
    return Integer.parseInt(state.getProperty("port", "0"));
  }

  ServerDirectory server() {
    return server;
  }

  /**
   * Recovers to {@code target} from {@code backup}, or continues a recovery of the same target in
   * this directory; returns once the copy is promoted and accepts connections.
   */
  void recover(BaseBackup backup, RecoveryTarget target, int timeline, String restoreCommand, long bytesNeeded,
      Progress progress) {
    String targetText = target.describe() + (timeline > 0 ? " on timeline " + timeline : "");
    claim(targetText, backup);
    Optional<Long> running = server.runningPid();
    if (running.isPresent()) {
      progress.note("a server (pid " + running.get() + ") is still running on " + data
          + " from an earlier attempt: waiting for it instead of starting a second one");
      server.awaitReady(timeout, logFile, "recovering to " + targetText);
      finished(progress);
      return;
    }
    switch (phase()) {
      case "recovered" -> {
        startServer();
        server.awaitReady(timeout, logFile, "restarting the recovered copy in " + dir);
        return;
      }
      case "recovering" -> {
        progress.note("continuing the recovery to " + targetText + " in " + data + " that stopped midway");
        try {
          startServer();
          server.awaitReady(timeout, logFile, "continuing the recovery to " + targetText);
          finished(progress);
          return;
        } catch (PitrException e) {
          String log = ServerDirectory.log(logFile);
          if (log.contains("pre-existing shared memory block") || server.runningPid().isPresent()) {
            throw new PitrException("an old server process still uses " + data + ": not starting a second one; stop it"
                + " (or wait for it to exit) and run the restore again. " + e.getMessage(), e);
          }
          if (log.contains("recovery ended before configured recovery target was reached")) throw e;
          progress.note("the interrupted recovery in " + data + " cannot continue (" + firstLine(e.getMessage())
              + "): starting clean from base backup " + backup.name());
        }
      }
      default -> { }
    }
    long t0 = System.nanoTime();
    freshCopy(backup, target, timeline, restoreCommand, bytesNeeded, progress);
    long t1 = System.nanoTime();
    setPhase("recovering");
    progress.checkpoint("recovery", "started " + targetText + " in " + data);
    startServer();
    server.awaitReady(timeout, logFile, "recovering to " + targetText + " from base backup " + backup.name());
    finished(progress);
    Progress.log.info("recovered {} in {}: copy {} ms, WAL replay and start {} ms", targetText, dir, (t1 - t0) / 1_000_000,
        (System.nanoTime() - t1) / 1_000_000);
  }

  private void finished(Progress progress) {
    String where;
    try (Connection c = connect(login.database()); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(), pg_current_wal_lsn()::text, "
             + "(SELECT timeline_id FROM pg_control_checkpoint())")) {
      rs.next();
      if (rs.getBoolean(1)) throw new PitrException("the copy in " + data + " accepts connections but is still in recovery");
      where = "at LSN " + rs.getString(2) + ", timeline " + rs.getInt(3);
    } catch (SQLException e) {
      throw new PitrException("cannot connect to the recovered copy on 127.0.0.1:" + port() + " as " + login.user() + ": "
          + e.getMessage(), e);
    }
    setPhase("recovered");
    progress.checkpoint("recovery", "recovered in " + data + " " + where + ", port " + port());
  }

  /** The directory is ours, for this target: or empty, so it becomes ours. */
  private void claim(String targetText, BaseBackup backup) {
    try {
      boolean existed = Files.isDirectory(dir);
      if (existed) {
        boolean empty;
        try (Stream<Path> s = Files.list(dir)) {
          empty = s.findAny().isEmpty();
        }
        if (!empty && !Files.exists(stateFile)) {
          throw new PitrException("the restore directory " + dir + " is not empty and was not made by rollback-pitr: nothing"
              + " was changed; give the restore another name, or empty the directory");
        }
      } else if (Files.exists(dir)) {
        throw new PitrException("the restore directory " + dir + " is a file: give the restore another name");
      }
      if (Files.exists(stateFile)) {
        String had = state.getProperty("target", "");
        if (!had.equals(targetText)) {
          throw new PitrException("the restore directory " + dir + " holds a recovery to " + had + ", not " + targetText
              + ": nothing was changed; give this restore another name");
        }
        return;
      }
      Files.createDirectories(dir.getParent()); // the work directory: the OS user must be able to pass through it
      if (!existed) Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      Files.createDirectories(sock, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      state.setProperty("target", targetText);
      state.setProperty("backup", backup.directory().toString());
      state.setProperty("port", Integer.toString(Processes.freeLoopbackPort()));
      Files.writeString(hba, "# rollback-pitr: the recovered copy takes password logins on 127.0.0.1 only\n"
          + "host all all 127.0.0.1/32 md5\n", StandardCharsets.UTF_8);
      saveState();
      proc.own(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + dir, e);
    }
  }

  private void freshCopy(BaseBackup backup, RecoveryTarget target, int timeline, String restoreCommand, long bytesNeeded,
      Progress progress) {
    try {
      if (Files.exists(data)) deleteTree(data); // our own incomplete copy, never the live cluster
      long free = Files.getFileStore(dir).getUsableSpace();
      if (free < bytesNeeded) {
        throw new PitrException("not enough space for the restore in " + dir + ": " + mb(free) + " free, about " + mb(bytesNeeded)
            + " needed (base backup " + backup.name() + " plus the WAL since); nothing was copied");
      }
      setPhase("copying");
      proc.require("copying base backup " + backup.directory() + " to " + data, "/bin/cp",
          List.of("-a", backup.directory().toString(), data.toString()), Map.of(), timeout);
      Path conf = data.resolve("postgresql.conf");
      if (!Files.exists(conf)) Files.writeString(conf, "# the live cluster keeps its configuration elsewhere\n");
      Files.deleteIfExists(data.resolve("standby.signal"));
      Files.deleteIfExists(data.resolve("postmaster.pid"));
      Path auto = data.resolve("postgresql.auto.conf");
      String original = Files.exists(auto) ? Files.readString(auto, StandardCharsets.UTF_8) : "";
      List<String> lines = new ArrayList<>();
      lines.add(SETTINGS_MARK);
      lines.add("restore_command = " + literal(restoreCommand));
      if (target instanceof RecoveryTarget.Named n) {
        lines.add("recovery_target_name = " + literal(n.name()));
      } else if (target instanceof RecoveryTarget.Lsn l) {
        lines.add("recovery_target_lsn = " + literal(l.lsn()));
      } else if (target instanceof RecoveryTarget.Time t) {
        lines.add("recovery_target_time = " + literal(t.time().toString()));
      }
      lines.add("recovery_target_timeline = " + literal(timeline > 0 ? Integer.toString(timeline) : "latest"));
      lines.add("recovery_target_action = 'promote'");
      lines.add("archive_mode = 'off'");
      lines.add("hot_standby = 'off'");
      lines.add("logging_collector = 'off'");
      lines.add("primary_conninfo = ''");
      settings.forEach((k, v) -> lines.add(k + " = " + literal(v)));
      Files.writeString(auto, original + (original.isEmpty() || original.endsWith("\n") ? "" : "\n") + String.join("\n", lines)
          + "\n", StandardCharsets.UTF_8);
      Files.writeString(data.resolve("recovery.signal"), "");
      proc.own(conf, auto, data.resolve("recovery.signal")); // written here; cp -a made the rest the OS user's already
      setPhase("copied");
      progress.checkpoint("copy", "base backup " + backup.name() + " copied to " + data);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy base backup " + backup.directory() + " to " + data, e);
    }
  }

  private void startServer() {
    if (server.runningPid().isEmpty()) removeEmptyLockFiles();
    int port = port();
    if (!Processes.portFree(port)) {
      port = Processes.freeLoopbackPort();
      state.setProperty("port", Integer.toString(port));
      saveState();
    }
    server.start(List.of("-p", Integer.toString(port), "-k", sock.toString(), "-c", "listen_addresses=127.0.0.1",
        "-c", "hba_file=" + hba), logFile, Duration.ofMinutes(1));
  }

  /**
   * A server killed while it started can leave its lock files empty (the data directory's
   * {@code postmaster.pid}, the socket's {@code .s.PGSQL.<port>.lock} in this copy's own
   * {@code sock/}), and PostgreSQL refuses to start over an empty one ("lock file … is empty"),
   * leaving it to an administrator. With no server running on this copy they are only remnants:
   * removed, so the restore can run again. A lock file with a pid in it is PostgreSQL's to judge.
   */
  private void removeEmptyLockFiles() {
    try {
      List<Path> candidates = new ArrayList<>();
      candidates.add(data.resolve("postmaster.pid"));
      if (Files.isDirectory(sock)) {
        try (Stream<Path> s = Files.list(sock)) {
          s.filter(p -> p.getFileName().toString().matches("\\.s\\.PGSQL\\.\\d+\\.lock")).forEach(candidates::add);
        }
      }
      for (Path p : candidates) {
        if (Files.isRegularFile(p) && Files.size(p) == 0) Files.delete(p);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the empty lock files a killed server left in " + dir, e);
    }
  }

  /** Stops the copy (its directory stays). */
  void stop() {
    if (!server.stop(Duration.ofMinutes(2))) {
      throw new PitrException("the recovered copy on " + data + " did not stop within 2 minutes");
    }
  }

  /** Takes the recovery settings out again, so the directory can run as the live cluster. */
  void removeRecoverySettings() {
    try {
      Path auto = data.resolve("postgresql.auto.conf");
      String s = Files.readString(auto, StandardCharsets.UTF_8);
      int i = s.indexOf(SETTINGS_MARK);
      if (i >= 0) Files.writeString(auto, s.substring(0, i), StandardCharsets.UTF_8);
      Files.deleteIfExists(data.resolve("recovery.signal"));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot remove the recovery settings from " + data, e);
    }
  }

  Connection connect(String database) throws SQLException {
    return dataSource(database).getConnection();
  }

  PGSimpleDataSource dataSource(String database) {
    return login.at("127.0.0.1", port()).withDatabase(database).dataSource();
  }

  java.util.Optional<String> stateValue(String key) {
    return java.util.Optional.ofNullable(state.getProperty(key));
  }

  void setStateValue(String key, String value) {
    state.setProperty(key, value);
    saveState();
  }

  void setPhase(String phase) {
    state.setProperty("phase", phase);
    saveState();
  }

  private void loadState() {
    if (!Files.exists(stateFile)) return;
    try (Reader r = Files.newBufferedReader(stateFile, StandardCharsets.UTF_8)) {
      state.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + stateFile, e);
    }
  }

  private void saveState() {
    try {
      Path tmp = stateFile.resolveSibling("state.tmp");
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        state.store(w, "rollback-pitr restore state");
      }
      Files.move(tmp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + stateFile, e);
    }
  }

  static String literal(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  static String mb(long bytes) {
    return (bytes / (1024 * 1024)) + " MB";
  }

  private static String firstLine(String s) {
    int i = s.indexOf('\n');
    return i < 0 ? s : s.substring(0, i);
  }

  static void deleteTree(Path p) throws IOException {
    try (Stream<Path> files = Files.walk(p)) {
      for (Path f : files.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(f);
    }
  }
}
