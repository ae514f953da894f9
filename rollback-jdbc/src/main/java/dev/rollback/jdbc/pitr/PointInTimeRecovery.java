package dev.rollback.jdbc.pitr;

import dev.rollback.Change;
import dev.rollback.Step;
import dev.rollback.jdbc.Fingerprint;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Point-in-time recovery of one PostgreSQL cluster, tied to releases. Before a release,
 * {@link #restorePointChange} (or {@link #requireReady()} and {@link #createRestorePoint}) proves
 * that the cluster can be recovered — WAL archiving on and working, a recent verified base backup
 * (or takes one with {@code pg_basebackup}), free space for a restore — and creates a named restore
 * point the run's journal keeps. Afterwards {@link #sideBySide}, {@link #wholeCluster} and
 * {@link #drill} recover copies from the base backups and the WAL archive.
 *
 * <p>Where things live: base backups (plain format) and the registry of restore points under the
 * backups directory, WAL segments in the archive the server's {@code archive_command} fills,
 * recovered copies under the work directory. The PostgreSQL binaries of the server's major version
 * must be installed where this runs, and the three directories reachable.
 */
public final class PointInTimeRecovery {
  private static final Logger log = LoggerFactory.getLogger(PointInTimeRecovery.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,63}");
  private static final DateTimeFormatter BACKUP_NAME = DateTimeFormatter.ofPattern("'base-'yyyyMMdd'T'HHmmssSSS'Z'")
      .withZone(ZoneOffset.UTC);

  final PgLogin login;
  final Path backups;
  final Path workDirectory;
  final @Nullable Path walArchive;
  final String restoreCommand;
  final Processes proc;
  final Duration maxBackupAge;
  final boolean takingBaseBackups;
  final Duration archiveTimeout;
  final Duration serverTimeout;
  final Clock clock;
  final Map<String, String> copySettings;

  private PointInTimeRecovery(Builder b) {
    this.login = b.login;
    this.backups = Objects.requireNonNull(b.backups, "withBaseBackups(directory) is required").toAbsolutePath().normalize();
    this.workDirectory = Objects.requireNonNull(b.workDirectory, "withWorkDirectory(directory) is required")
        .toAbsolutePath().normalize();
    this.walArchive = b.walArchive == null ? null : b.walArchive.toAbsolutePath().normalize();
    if (b.restoreCommand != null) {
      this.restoreCommand = b.restoreCommand;
    } else if (walArchive != null) {
      this.restoreCommand = "cp '" + walArchive + "/%f' '%p'";
    } else {
      throw new IllegalStateException("withWalArchive(directory) or withRestoreCommand(command) is required");
    }
    this.proc = new Processes(b.binaries, b.osUser);
    this.maxBackupAge = b.maxBackupAge;
    this.takingBaseBackups = b.takingBaseBackups;
    this.archiveTimeout = b.archiveTimeout;
    this.serverTimeout = b.serverTimeout;
    this.clock = b.clock;
    this.copySettings = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(b.copySettings));
  }

  /** Starts the configuration for the cluster {@code live} reaches. */
  public static Builder builder(PgLogin live) {
    return new Builder(Objects.requireNonNull(live, "live"));
  }

  /** The restore point name a release run gets: {@code rb-<run id>}, cut to PostgreSQL's 63 characters. */
  public static String restorePointNameFor(String runId) {
    String n = "rb-" + runId.replaceAll("[^A-Za-z0-9._-]", "-");
    return n.length() <= 63 ? n : "rb-" + n.substring(n.length() - 60);
  }

  // ------------------------------------------------------------------ readiness

  /**
   * What keeps this cluster from point-in-time recovery now, each with its fix; empty when it is
   * ready. Switches to a new WAL segment to see it archived; takes no backup.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    try (Connection c = live()) {
      String mode = show(c, "archive_mode");
      String level = show(c, "wal_level");
      String command = show(c, "archive_command");
      String library = show(c, "archive_library");
      String where = "the server at " + login.host() + ":" + login.port();
      if ("minimal".equals(level)) {
        problems.add("wal_level is minimal on " + where + ": set wal_level = replica and restart the server");
      }
      if ("off".equals(mode)) {
        problems.add("archive_mode is off on " + where + ": set archive_mode = on and an archive_command that copies each"
            + " segment into the WAL archive (e.g. archive_command = 'test ! -f " + archiveHint() + "/%f && cp %p "
            + archiveHint() + "/%f'), then restart the server");
      } else if ((command.isBlank() || command.equals("(disabled)")) && library.isBlank()) {
        problems.add("archive_mode is " + mode + " on " + where + " but neither archive_command nor archive_library is set:"
            + " WAL segments pile up in pg_wal and none reaches an archive; set archive_command (e.g. 'test ! -f "
            + archiveHint() + "/%f && cp %p " + archiveHint() + "/%f') and reload");
      }
      if (problems.isEmpty()) archiveWorks(c).ifPresent(problems::add);
    } catch (SQLException e) {
      problems.add("cannot check " + login + ": " + e.getMessage());
      return problems;
    }
    Optional<BaseBackup> latest = latestBaseBackup();
    if (latest.isEmpty()) {
      if (!takingBaseBackups) {
        problems.add("no base backup under " + backups + ": take one (pg_basebackup -Fp -X stream -D " + backups
            + "/base-<time>) or build with takingBaseBackups()");
      }
    } else {
      BaseBackup b = latest.get();
      Duration age = Duration.between(b.startTime(), clock.instant());
      if (age.compareTo(maxBackupAge) > 0 && !takingBaseBackups) {
        problems.add("the latest base backup " + b.directory() + " is " + age.toHours() + " h old (limit " + maxBackupAge
            + "): a recovery would replay all WAL since; take a new one or build with takingBaseBackups()");
      }
      if (problems.isEmpty()) spaceFor(b).ifPresent(problems::add);
    }
    return problems;
  }

  /**
   * Refuses with every problem when the cluster cannot be recovered; takes a base backup first
   * when there is none recent enough and {@link Builder#takingBaseBackups()} was asked for.
   * Returns the base backup a recovery would start from.
   */
  public BaseBackup requireReady() {
    List<String> problems = problems();
    if (!problems.isEmpty()) {
      throw new PitrException("point-in-time recovery is not possible for " + login + ":\n - " + String.join("\n - ", problems));
    }
    Optional<BaseBackup> latest = latestBaseBackup();
    if (latest.isEmpty() || Duration.between(latest.get().startTime(), clock.instant()).compareTo(maxBackupAge) > 0) {
      BaseBackup b = takeBaseBackup();
      spaceFor(b).ifPresent(p -> {
        throw new PitrException("point-in-time recovery is not possible for " + login + ": " + p);
      });
      return b;
    }
    return latest.get();
  }

  private Optional<String> spaceFor(BaseBackup b) {
    try {
      Files.createDirectories(workDirectory);
      long free = Files.getFileStore(workDirectory).getUsableSpace();
      long need = bytesNeeded(b);
      if (free < need) {
        return Optional.of("the work directory " + workDirectory + " has " + RecoveredInstance.mb(free) + " free; a restore of "
            + b.name() + " needs about " + RecoveredInstance.mb(need) + " (the backup and the WAL since): free space or"
            + " choose another work directory");
      }
      return Optional.empty();
    } catch (IOException e) {
      return Optional.of("cannot use the work directory " + workDirectory + ": " + e.getMessage());
    }
  }

  long bytesNeeded(BaseBackup b) {
    long wal = 0;
    try (Connection c = live(); PreparedStatement ps = c.prepareStatement(
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), ?::pg_lsn)::bigint")) {
      ps.setString(1, b.startLsn());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        wal = Math.max(0, rs.getLong(1));
      }
    } catch (SQLException e) {
      log.warn("cannot tell how much WAL a restore of {} replays: {}", b.name(), e.getMessage());
    }
    return (long) ((b.bytes() + wal) * 1.1) + 16L * 1024 * 1024;
  }

  /** Writes a WAL record, switches the segment and waits until the archiver has it; the problem otherwise. */
  private Optional<String> archiveWorks(Connection c) throws SQLException {
    String segment;
    Instant started = clock.instant();
    try (Statement st = c.createStatement()) {
      st.execute("SELECT pg_logical_emit_message(false, 'rollback-pitr', 'archive check')");
      try (ResultSet rs = st.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
        rs.next();
        segment = rs.getString(1);
      }
    }
    Instant deadline = Instant.now().plus(archiveTimeout);
    while (true) {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
          "SELECT last_archived_wal, last_failed_wal, failed_count, last_failed_time FROM pg_stat_archiver")) {
        rs.next();
        String archived = rs.getString(1);
        if (archived != null && archived.length() == 24 && archived.compareTo(segment) >= 0) break;
        if (Instant.now().isAfter(deadline)) {
          String failed = rs.getString(2);
          java.sql.Timestamp failedAt = rs.getTimestamp(4);
          if (failed != null && failedAt != null && !failedAt.toInstant().isBefore(started.minusSeconds(1))) {
            return Optional.of("the archive_command fails: segment " + failed + " failed " + rs.getLong(3)
                + " times, last at " + failedAt.toInstant() + "; the server log says why. Nothing after segment "
                + (archived == null ? "(none yet)" : archived) + " is in the archive");
          }
          return Optional.of("segment " + segment + " was not archived within " + archiveTimeout + " (last archived: "
              + archived + "): the archiver is stuck or behind");
        }
      }
      Progress.pause(20);
    }
    if (walArchive != null && !Files.exists(walArchive.resolve(segment))) {
      return Optional.of("the server reports segment " + segment + " archived, but it is not in " + walArchive
          + ": the archive_command writes somewhere else than withWalArchive(..) says");
    }
    return Optional.empty();
  }

  private String archiveHint() {
    return walArchive == null ? "/path/to/archive" : walArchive.toString();
  }

  // ------------------------------------------------------------------ base backups

  /** The plain-format base backups under the backups directory, oldest first. */
  public List<BaseBackup> baseBackups() {
    if (!Files.isDirectory(backups)) return List.of();
    List<BaseBackup> out = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(backups)) {
      for (Path d : dirs.sorted().toList()) {
        if (Files.isRegularFile(d.resolve("backup_label")) && !d.getFileName().toString().endsWith(".partial")) {
          out.add(readBackup(d));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the base backups in " + backups, e);
    }
    out.sort(Comparator.comparing(BaseBackup::startTime));
    return List.copyOf(out);
  }

  public Optional<BaseBackup> latestBaseBackup() {
    List<BaseBackup> all = baseBackups();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * Takes a base backup with {@code pg_basebackup -Fp -X stream -c fast} into
   * {@code <backups>/base-<time>} (into a {@code .partial} directory first, renamed once it is
   * complete and {@code pg_verifybackup} passed), as the login's role, over the replication protocol.
   */
  public BaseBackup takeBaseBackup() {
    try {
      Files.createDirectories(backups);
      proc.own(backups);
      String name = BACKUP_NAME.format(clock.instant());
      Path partial = backups.resolve(name + ".partial");
      Path done = backups.resolve(name);
      if (Files.exists(partial)) RecoveredInstance.deleteTree(partial);
      long t0 = System.nanoTime();
      proc.require("taking a base backup of " + login + " into " + partial, "pg_basebackup",
          List.of("-h", login.host(), "-p", Integer.toString(login.port()), "-U", login.user(), "-d", "dbname=" + login.database(),
              "-D", partial.toString(), "-Fp", "-X", "stream", "-c", "fast", "-w", "-l", "rollback-pitr " + name),
          Map.of("PGPASSWORD", login.password()), serverTimeout);
      proc.require("verifying base backup " + partial, "pg_verifybackup", List.of("-q", partial.toString()), Map.of(),
          serverTimeout);
      Files.move(partial, done, StandardCopyOption.ATOMIC_MOVE);
      BaseBackup b = readBackup(done);
      log.info("base backup {} taken and verified in {} ms ({} MB, starts at {})", done, (System.nanoTime() - t0) / 1_000_000,
          b.bytes() / (1024 * 1024), b.startLsn());
      return b;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot take a base backup into " + backups, e);
    }
  }

  static BaseBackup readBackup(Path dir) {
    try {
      String label = Files.readString(dir.resolve("backup_label"), StandardCharsets.UTF_8);
      String lsn = field(label, "START WAL LOCATION: (\\S+)").orElseThrow(
          () -> new PitrException(dir.resolve("backup_label") + " has no START WAL LOCATION: not a base backup"));
      int timeline = field(label, "START TIMELINE: (\\d+)").map(Integer::parseInt).orElse(1);
      Instant start = field(label, "START TIME: (.+)").flatMap(PointInTimeRecovery::labelTime)
          .orElse(Files.getLastModifiedTime(dir.resolve("backup_label")).toInstant());
      long[] bytes = {0};
      Files.walkFileTree(dir, new java.nio.file.SimpleFileVisitor<>() {
        @Override
        public java.nio.file.FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
          bytes[0] += attrs.size();
          return java.nio.file.FileVisitResult.CONTINUE;
        }
      });
      return new BaseBackup(dir, lsn, timeline, start, bytes[0]);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read base backup " + dir, e);
    }
  }

  private static Optional<String> field(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    return m.find() ? Optional.of(m.group(1).trim()) : Optional.empty();
  }

  private static Optional<Instant> labelTime(String s) {
    try {
      return Optional.of(ZonedDateTime.parse(s, DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss z")).toInstant());
    } catch (DateTimeParseException e) {
      return Optional.empty();
    }
  }

  // ------------------------------------------------------------------ restore points

  /**
   * Creates the restore point {@code name} ({@code pg_create_restore_point}), waits until the WAL
   * segment holding it is archived, and registers it with its LSN, timeline, time and the latest
   * base backup. For each table named, a fingerprint of its rows exactly at the restore point is
   * kept (writers to those tables wait a moment: the restore point is created under a SHARE lock
   * while a snapshot for the fingerprints is taken), so a recovery to it can be verified.
   */
  public RestorePoint createRestorePoint(String name, String... tables) {
    Objects.requireNonNull(name, "name");
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("restore point name must be 1-63 letters, digits, '.', '_' or '-': '" + name + "'");
    }
    Optional<RestorePoint> existing = restorePoint(name);
    if (existing.isPresent()) {
      throw new PitrException("restore point '" + name + "' already exists: " + existing.get().describe() + "; choose another name");
    }
    BaseBackup backup = latestBaseBackup().orElseThrow(() -> new PitrException("no base backup under " + backups
        + ": a restore point without one cannot be recovered; call requireReady() or takeBaseBackup() first"));
    String lsn;
    String segment;
    Instant time;
    Map<String, Fingerprint> fps = new LinkedHashMap<>();
    try (Connection a = live(); Connection b = tables.length == 0 ? null : live()) {
      a.setAutoCommit(false);
      if (b != null) {
        try (Statement st = a.createStatement()) {
          st.execute("LOCK TABLE " + String.join(", ", tables) + " IN SHARE MODE");
        }
        b.setAutoCommit(false);
        b.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        try (Statement st = b.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
          rs.next(); // the snapshot the fingerprints read: taken while no one can write the tables
        }
      }
      try (PreparedStatement ps = a.prepareStatement(
          "SELECT l::text, pg_walfile_name(l), clock_timestamp() FROM pg_create_restore_point(?) AS l")) {
        ps.setString(1, name);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          lsn = rs.getString(1);
          segment = rs.getString(2);
          time = rs.getTimestamp(3).toInstant();
        }
      }
      a.commit();
      if (b != null) {
        for (String t : tables) fps.put(t, Fingerprint.of(b, t));
        b.commit();
      }
      try (Statement st = a.createStatement()) {
        st.execute("SELECT pg_switch_wal()");
      }
      a.commit();
      awaitArchived(a, segment, name);
    } catch (SQLException e) {
      throw new PitrException("cannot create restore point '" + name + "' on " + login + ": " + e.getMessage(), e);
    }
    int timeline = Integer.parseInt(segment.substring(0, 8), 16);
    RestorePoint rp = new RestorePoint(name, lsn, timeline, time, login.database(), backup.directory(), fps);
    register(rp);
    log.info("created {}", rp.describe());
    return rp;
  }

  private void awaitArchived(Connection c, String segment, String name) throws SQLException {
    c.setAutoCommit(true);
    Instant deadline = Instant.now().plus(archiveTimeout);
    while (true) {
      try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT last_archived_wal FROM pg_stat_archiver")) {
        rs.next();
        String archived = rs.getString(1);
        if (archived != null && archived.length() == 24 && archived.compareTo(segment) >= 0) return;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new PitrException("restore point '" + name + "' was created, but its WAL segment " + segment
            + " was not archived within " + archiveTimeout + ": no recovery can reach it until it is; check archive_command");
      }
      Progress.pause(20);
    }
  }

  /** The restore points this library registered, oldest first. */
  public List<RestorePoint> restorePoints() {
    Path dir = backups.resolve("restore-points");
    if (!Files.isDirectory(dir)) return List.of();
    List<RestorePoint> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".properties")).toList()) out.add(readRestorePoint(f));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    out.sort(Comparator.comparing(RestorePoint::time));
    return List.copyOf(out);
  }

  public Optional<RestorePoint> restorePoint(String name) {
    Path f = backups.resolve("restore-points").resolve(name + ".properties");
    return NAME.matcher(name).matches() && Files.exists(f) ? Optional.of(readRestorePoint(f)) : Optional.empty();
  }

  private void register(RestorePoint rp) {
    Path dir = backups.resolve("restore-points");
    try {
      Files.createDirectories(dir);
      Properties p = new Properties();
      p.putAll(rp.toSnapshot().values());
      Path tmp = dir.resolve(rp.name() + ".tmp");
      try (Writer w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
        p.store(w, "rollback-pitr restore point");
      }
      Files.move(tmp, dir.resolve(rp.name() + ".properties"), StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("restore point '" + rp.name() + "' was created but cannot be registered in " + dir, e);
    }
  }

  private static RestorePoint readRestorePoint(Path f) {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + f, e);
    }
    Map<String, String> m = new LinkedHashMap<>();
    p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
    try {
      return RestorePoint.fromSnapshot(dev.rollback.Snapshot.of(m));
    } catch (RuntimeException e) {
      throw new PitrException("the restore point file " + f + " is damaged: " + e.getMessage(), e);
    }
  }

  /**
   * The release change: when the release starts (before any change is applied), refuses unless the
   * cluster can be recovered ({@link #requireReady()}) and creates the run's restore point
   * ({@link #restorePointNameFor}), fingerprinting {@code tables} at it; the restore point is the
   * change's journaled known-good snapshot ({@link RestorePoint#fromSnapshot}). Reverting the change
   * restores no data: it notes where the restore point is, for a {@link SideBySideRestore} or
   * {@link WholeClusterRestore} the plan or a human runs.
   */
  public Change restorePointChange(String... tables) {
    List<String> named = List.of(tables);
    Step apply = Step.builder("apply")
        .execute(ctx -> {
          RestorePoint rp = RestorePoint.fromSnapshot(ctx.knownGood().orElseThrow(
              () -> new PitrException("no restore point was captured when the release started")));
          ctx.note("point-in-time recovery is ready: " + rp.describe());
        })
        .idempotent()
        .describedAs("check that PostgreSQL can do point-in-time recovery and create the release's restore point")
        .build();
    Step revert = Step.builder("revert")
        .execute(ctx -> ctx.note(ctx.knownGood().map(s -> RestorePoint.fromSnapshot(s).describe()
            + " stays: reverting the release does not restore data; a side-by-side or whole-cluster restore to it does")
            .orElse("no restore point was created")))
        .idempotent()
        .describedAs("keep the release's restore point for a restore")
        .build();
    return Change.of("point-in-time recovery", apply, revert).capturingKnownGood(ctx -> {
      String name = restorePointNameFor(ctx.runId());
      Optional<RestorePoint> had = restorePoint(name);
      if (had.isPresent()) return had.get().toSnapshot(); // created before a crash, not yet journaled
      requireReady();
      return createRestorePoint(name, named.toArray(String[]::new)).toSnapshot();
    });
  }

  // ------------------------------------------------------------------ restores

  /** A restore that recovers a copy next to the live cluster and copies back what is named. */
  public SideBySideRestore.Builder sideBySide(RecoveryTarget target) {
    return new SideBySideRestore.Builder(this, Objects.requireNonNull(target, "target"));
  }

  /** A restore that replaces the whole live cluster, whose data directory is {@code liveDataDirectory}. */
  public WholeClusterRestore.Builder wholeCluster(RecoveryTarget target, Path liveDataDirectory) {
    return new WholeClusterRestore.Builder(this, Objects.requireNonNull(target, "target"),
        Objects.requireNonNull(liveDataDirectory, "liveDataDirectory"));
  }

  /** A backup drill: recover the latest base backup to a new restore point and compare {@code tables}. */
  public BackupDrill drill(String... tables) {
    return new BackupDrill(this, List.of(tables));
  }

  /** The base backup a recovery to {@code target} starts from, and the timeline it follows (0: latest). */
  record Start(BaseBackup backup, int timeline, Optional<RestorePoint> restorePoint) {}

  Start startFor(RecoveryTarget target) {
    List<BaseBackup> all = baseBackups();
    if (all.isEmpty()) throw new PitrException("no base backup under " + backups + ": nothing to recover from");
    if (target instanceof RecoveryTarget.Named n) {
      RestorePoint rp = restorePoint(n.name()).orElseThrow(() -> unknownRestorePoint(n.name()));
      BaseBackup b = all.stream().filter(x -> x.directory().equals(rp.backup())).findFirst()
          .or(() -> all.stream().filter(x -> !x.startTime().isAfter(rp.time())).reduce((x, y) -> y))
          .orElseThrow(() -> new PitrException(rp.describe() + ": its base backup " + rp.backup()
              + " is gone and no older one is under " + backups));
      return new Start(b, rp.timeline(), Optional.of(rp));
    }
    if (target instanceof RecoveryTarget.Time t) {
      BaseBackup b = all.stream().filter(x -> x.startTime().isBefore(t.time())).reduce((x, y) -> y).orElseThrow(
          () -> new PitrException("no base backup under " + backups + " started before " + t.time() + "; the oldest started "
              + all.get(0).startTime()));
      return new Start(b, 0, Optional.empty());
    }
    RecoveryTarget.Lsn l = (RecoveryTarget.Lsn) target;
    BaseBackup b = all.stream().filter(x -> compareLsn(x.startLsn(), l.lsn()) <= 0).reduce((x, y) -> y).orElseThrow(
        () -> new PitrException("no base backup under " + backups + " starts before LSN " + l.lsn() + "; the oldest starts at "
            + all.get(0).startLsn()));
    return new Start(b, 0, Optional.empty());
  }

  private PitrException unknownRestorePoint(String name) {
    int timeline = 0;
    try (Connection c = live(); Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT timeline_id FROM pg_control_checkpoint()")) {
      rs.next();
      timeline = rs.getInt(1);
    } catch (SQLException e) {
      log.debug("cannot read the live timeline", e);
    }
    List<RestorePoint> known = restorePoints();
    return new PitrException("restore point '" + name + "' is unknown: the live cluster is on timeline " + timeline
        + (known.isEmpty() ? "; no restore point is registered under " + backups.resolve("restore-points")
        : "; the registered restore points are:\n - " + String.join("\n - ", known.stream().map(RestorePoint::describe).toList()))
        + "\n(or recover to an LSN or a time instead)");
  }

  static int compareLsn(String a, String b) {
    return Long.compareUnsigned(lsnValue(a), lsnValue(b));
  }

  static long lsnValue(String lsn) {
    String[] p = lsn.split("/");
    return (Long.parseLong(p[0], 16) << 32) | Long.parseLong(p[1], 16);
  }

  RecoveredInstance instance(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("restore name must be 1-63 letters, digits, '.', '_' or '-': '" + name + "'");
    }
    return new RecoveredInstance(workDirectory.resolve(name), proc, login, serverTimeout, copySettings);
  }

  Connection live() throws SQLException {
    return login.dataSource().getConnection();
  }

  Connection live(String database) throws SQLException {
    return login.withDatabase(database).dataSource().getConnection();
  }

  private static String show(Connection c, String setting) throws SQLException {
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('" + setting + "', true)")) {
      rs.next();
      String v = rs.getString(1);
      return v == null ? "" : v;
    }
  }

  @Override
  public String toString() {
    return "PointInTimeRecovery[" + login + ", backups " + backups + ", work " + workDirectory + "]";
  }

  /** Configures a {@link PointInTimeRecovery}; each setter checks its argument. */
  public static final class Builder {
    private final PgLogin login;
    private @Nullable Path backups;
    private @Nullable Path workDirectory;
    private @Nullable Path walArchive;
    private @Nullable String restoreCommand;
    private Path binaries = Path.of("/usr/lib/postgresql/15/bin");
    private @Nullable String osUser;
    private Duration maxBackupAge = Duration.ofHours(24);
    private boolean takingBaseBackups;
    private Duration archiveTimeout = Duration.ofSeconds(60);
    private Duration serverTimeout = Duration.ofMinutes(30);
    private Clock clock = Clock.systemUTC();
    private final Map<String, String> copySettings = new LinkedHashMap<>();

    Builder(PgLogin login) {
      this.login = login;
    }

    /** Where base backups are (plain format, one directory each) and restore points are registered. Required. */
    public Builder withBaseBackups(Path directory) {
      this.backups = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** Where recovered copies are made (one directory per restore, kept after it). Required. */
    public Builder withWorkDirectory(Path directory) {
      this.workDirectory = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * The directory the server's {@code archive_command} copies WAL segments into; recoveries read
     * it with {@code cp}, and the readiness check looks for the switched segment in it.
     */
    public Builder withWalArchive(Path directory) {
      this.walArchive = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /** The {@code restore_command} recoveries use when the archive is not a directory here (S3, pgBackRest, …). */
    public Builder withRestoreCommand(String command) {
      Objects.requireNonNull(command, "command");
      if (!command.contains("%f") || !command.contains("%p")) {
        throw new IllegalArgumentException("restore command must use %f and %p: '" + command + "'");
      }
      this.restoreCommand = command;
      return this;
    }

    /** The PostgreSQL server binaries, of the live server's major version (default /usr/lib/postgresql/15/bin). */
    public Builder withBinaries(Path directory) {
      this.binaries = Objects.requireNonNull(directory, "directory");
      return this;
    }

    /**
     * The OS user that owns data directories and runs the server (PostgreSQL refuses root); when
     * this JVM runs as root, the binaries run as that user through {@code runuser}.
     */
    public Builder runningServersAs(String osUser) {
      Objects.requireNonNull(osUser, "osUser");
      if (osUser.isBlank()) throw new IllegalArgumentException("osUser must not be blank");
      this.osUser = osUser;
      return this;
    }

    /** The oldest a base backup may be before a release (default 24 h). */
    public Builder withMaxBackupAge(Duration age) {
      Objects.requireNonNull(age, "age");
      if (age.isNegative() || age.isZero()) throw new IllegalArgumentException("max backup age must be positive: " + age);
      this.maxBackupAge = age;
      return this;
    }

    /** Takes a base backup before a release when none is recent enough, instead of refusing the release. */
    public Builder takingBaseBackups() {
      this.takingBaseBackups = true;
      return this;
    }

    /** How long to wait for a WAL segment to be archived (default 60 s). */
    public Builder withArchiveTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("archive timeout must be positive: " + timeout);
      this.archiveTimeout = timeout;
      return this;
    }

    /** How long a backup, a copy, a recovery or a server start may take (default 30 min). */
    public Builder withServerTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) throw new IllegalArgumentException("server timeout must be positive: " + timeout);
      this.serverTimeout = timeout;
      return this;
    }

    /**
     * A server setting for recovered copies only (e.g. {@code shared_buffers}, {@code max_wal_size} to
     * recover faster); it is removed again when a copy replaces the live cluster.
     */
    public Builder withRecoveredCopySetting(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (!name.matches("[a-z_.]+")) throw new IllegalArgumentException("not a server setting name: '" + name + "'");
      if (name.startsWith("recovery_") || name.equals("restore_command") || name.equals("archive_mode")) {
        throw new IllegalArgumentException(name + " is set by the recovery itself");
      }
      copySettings.put(name, value);
      return this;
    }

    /** The clock backup ages are judged by. */
    public Builder withClock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    public PointInTimeRecovery build() {
      return new PointInTimeRecovery(this);
    }
  }
}
