package dev.rollback.journal;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The default journal: one JSON-lines file per run in a directory ({@code <runId>.jsonl}), each
 * line carrying a CRC32C.
 *
 * <h2>Durability</h2>
 * {@link #append} returns after the record is written and forced to the storage device
 * ({@link FileChannel#force FileChannel.force(false)}, an fdatasync). {@link #appendLazily} writes
 * the record at once, after everything appended before it, but does not force it: it becomes
 * durable with the next forced append to the same run, {@link #flush}, or {@link #close}. A
 * {@link RecordType#PLAN_COMPLETED} record is always forced, and its run's file is then closed (a
 * later record opens it again).
 *
 * <p>A new run's file is the journal's <em>spare</em>: an empty file made in advance
 * ({@code .spare-<uuid>}), its name forced when the journal is created and again with the last
 * record of each run that took one, so a new run's first record costs one write and one force, not
 * a file creation and a force of the directory too. The run's name is forced with its
 * {@link RecordType#PLAN_COMPLETED} record (or on {@link #close}); records a stopped machine left
 * under a spare's name only are put back under the run's name by the next {@link #create} on the
 * directory. Without a spare (one run holds it while another starts, or the file system has no
 * hard links), an append that creates a run's file forces the directory with the file's first
 * forced record; {@link #repair} forces it at once after moving a torn tail aside. On Windows,
 * which cannot open a directory as a file, there are no spares, the directory is not forced, and
 * a name is as durable as the file system makes it.
 *
 * <p>A crash while a record is written leaves a torn last line, whoever wrote it: {@link #read}
 * reports it and leaves it out, an append refuses to write after it, and {@link #repair} moves it
 * aside to {@code <runId>.jsonl.torn-<offset>} before the file is appended to again.
 *
 * <h2>Fencing</h2>
 * An append whose fencing token is lower than the highest token in the run's file is refused with
 * a {@link FencedOffException}, whoever wrote that token: this journal, another {@code FileJournal}
 * on the same directory, or another process on storage both can reach. Each append holds an
 * exclusive lock on the run file ({@link FileChannel#lock}) while it reads the records others
 * appended since this journal last looked (only those bytes, and none when the file's size is the
 * one this journal last saw), checks the token, writes and, if durable, forces. Reads hold a shared
 * lock, so they never see a record another journal is still writing. The OS lock belongs to the
 * process, so within one JVM a lock per canonical file path also serialises the journals sharing a
 * file.
 *
 * <p>Limits: across processes, fencing holds only on file systems that honour
 * {@link FileChannel#lock} (local file systems; NFS only with working lock support). POSIX drops
 * all of a process's locks on a file when any descriptor of it is closed, so within a JVM, open a
 * run file only through this journal while runs are appended to.
 */
public final class FileJournal implements Journal {
  private static final boolean WINDOWS = System.getProperty("os.name", "").startsWith("Windows");

  private final Path dir;
  private final Path canonicalDir;
  private final boolean fsync;
  private final JournalFiles files;
  private final Map<String, RunFile> open = new HashMap<>();
  /** An empty file whose name is durable, ready to become the next new run's file; null if none. */
  private @Nullable Path spare;

  /** A run file this journal appends to. Guarded by the journal's monitor and, while appending, its {@link PathLock}. */
  private static final class RunFile {
    final Path file;
    final FileChannel ch; // WRITE and APPEND: appends, locks and forces
    final PathLock lock;
    /** The bytes of the file this journal has read or written; always the end of a line. */
    long knownSize;
    long highestFence;
    /** A lazily appended record has not been forced yet. */
    boolean unforced;
    /** This journal created the file and has not forced the directory entry that names it yet. */
    boolean directoryUnforced;
    /**
     * The file was a spare, whose own name was forced when it was made: until the run's name is
     * forced, a crash leaves the records under the spare's name, where {@link #create} finds them.
     * So its records need not wait for the directory.
     */
    boolean findableAsSpare;

    /** The directory must be forced before this file's records count as durable: a new file, not a spare. */
    boolean directoryFirst() {
      return directoryUnforced && !findableAsSpare;
    }
    /** Opened only to read what others appended, and closed only after the OS lock is released. */
    @Nullable FileChannel reader;

    RunFile(Path file, FileChannel ch, PathLock lock) {
      this.file = file;
      this.ch = ch;
      this.lock = lock;
    }
  }

  private FileJournal(Path dir, Path canonicalDir, boolean fsync, JournalFiles files) {
    this.dir = dir;
    this.canonicalDir = canonicalDir;
    this.fsync = fsync;
    this.files = files;
  }

  /** A journal in {@code dir}, created if missing. */
  public static FileJournal create(Path dir) {
    return create(dir, JournalFiles.SYSTEM);
  }

  /** A journal in {@code dir} whose files are opened by {@code files} (a test's recording double). */
  static FileJournal create(Path dir, JournalFiles files) {
    Objects.requireNonNull(dir, "dir");
    Objects.requireNonNull(files, "files");
    try {
      Files.createDirectories(dir);
      FileJournal journal = new FileJournal(dir, dir.toRealPath(), true, files);
      journal.adoptSpares();
      journal.prepareSpare();
      return journal;
    } catch (IOException e) {
      throw new JournalException("cannot create journal directory " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path directory() {
    return dir;
  }

  /** The file holding {@code runId}'s records. */
  public Path fileOf(String runId) {
    if (runId.isEmpty() || runId.contains("/") || runId.contains("\\") || runId.startsWith(".")) {
      throw new IllegalArgumentException("run id is not usable as a file name: '" + runId + "'");
    }
    return dir.resolve(runId + ".jsonl");
  }

  @Override
  public synchronized void append(JournalRecord record) {
    write(record, true);
  }

  /**
   * Written now, after everything appended before it, and forced with the next {@link #append} to
   * the same run (or {@link #close}): the file keeps the order, so nothing is lost out of order.
   */
  @Override
  public synchronized void appendLazily(JournalRecord record) {
    write(record, false);
  }

  /** Forces what was appended lazily to the run, if anything. */
  @Override
  public synchronized void flush(String runId) {
    RunFile f = open.get(runId);
    if (f == null || (!f.unforced && !f.directoryFirst())) return;
    boolean interrupted = Thread.interrupted();
    f.lock.lock();
    try {
      if (f.directoryFirst()) forceDirectoryIfNew(f);
      f.ch.force(false);
      f.unforced = false;
    } catch (IOException e) {
      throw new JournalException("cannot force the records appended lazily to " + f.file + ": " + e.getMessage(), e);
    } finally {
      f.lock.unlock();
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  private void write(JournalRecord record, boolean durable) {
    // A cancelled step's thread is interrupted, and records its outcome from that thread: file
    // channel calls on an interrupted thread fail (and close the channel), so the interrupt waits
    // until the record is written, and is put back for the code after the append.
    boolean interrupted = Thread.interrupted();
    try {
      writeUninterrupted(record, durable);
    } finally {
      if (interrupted) Thread.currentThread().interrupt();
    }
  }

  private void writeUninterrupted(JournalRecord record, boolean durable) {
    byte[] line = JournalCodec.encode(record);
    boolean force = fsync && (durable || record.is(RecordType.PLAN_COMPLETED));
    RunFile f = runFile(record.runId());
    boolean ended = false;
    f.lock.lock();
    try {
      FileLock os = f.ch.lock();
      try {
        catchUp(f);
        if (record.fence() < f.highestFence) {
          throw new FencedOffException(record.runId(), record.fence(), f.highestFence);
        }
        ByteBuffer buf = ByteBuffer.wrap(line);
        while (buf.hasRemaining()) f.ch.write(buf);
        f.knownSize += line.length;
        f.highestFence = Math.max(f.highestFence, record.fence());
        if (force) {
          // a spare's name waits for the run's last record
          if (f.directoryFirst() || record.is(RecordType.PLAN_COMPLETED)) forceDirectoryIfNew(f);
          f.ch.force(false);
          f.unforced = false;
        } else {
          f.unforced = fsync;
        }
      } finally {
        release(os);
      }
      // the run has ended: let its file go, or a long-lived process would hold one open file per run
      // it ever ran; a record added later (an acknowledgement) opens it again and re-reads its fence
      ended = record.is(RecordType.PLAN_COMPLETED);
    } catch (IOException e) {
      // what reached the file is unknown: start again from the file on the next append
      ended = true;
      throw new JournalException("cannot append " + record.type() + " to " + f.file + ": " + e.getMessage(), e);
    } finally {
      closeReader(f);
      if (ended) closeRunFile(record.runId(), f);
      f.lock.unlock();
      if (ended) f.lock.release();
    }
  }

  /**
   * Reads the records others appended since this journal last looked, under the run file's lock:
   * nothing when the size is unchanged, else only the new bytes (all of them if the file shrank).
   */
  private void catchUp(RunFile f) throws IOException {
    long size = f.ch.size();
    if (size == f.knownSize) return;
    long from = size > f.knownSize ? f.knownSize : 0;
    JournalCodec.Scan scan;
    try {
      scan = scan(f, from, size);
      // a problem's line and byte are counted from the start of the file
      if (from > 0 && !scan.tornProblem().isEmpty()) scan = scan(f, 0, size);
    } catch (JournalCorruptedException e) {
      if (from == 0) throw e;
      scan = scan(f, 0, size);
    }
    if (!scan.tornProblem().isEmpty()) {
      String runId = runIdOf(f.file);
      throw new JournalException("run " + runId + " has a torn record (" + scan.tornProblem()
          + "); call repair(\"" + runId + "\") (resume does) before appending");
    }
    for (JournalRecord r : scan.records()) f.highestFence = Math.max(f.highestFence, r.fence());
    f.knownSize = size;
  }

  private JournalCodec.Scan scan(RunFile f, long from, long to) throws IOException {
    if (f.reader == null) f.reader = files.open(f.file, READ);
    byte[] bytes = readRange(f.reader, from, to, f.file);
    return JournalCodec.scan(bytes, bytes.length, from == 0 ? f.file.toString() : f.file + " after byte " + from);
  }

  private static byte[] readRange(FileChannel ch, long from, long to, Path file) throws IOException {
    if (to - from > Integer.MAX_VALUE - 8) {
      throw new JournalException(file + " has " + (to - from) + " bytes, more than a journal run can hold in memory");
    }
    ByteBuffer buf = ByteBuffer.allocate((int) (to - from));
    while (buf.hasRemaining()) {
      if (ch.read(buf, from + buf.position()) < 0) break;
    }
    byte[] bytes = buf.array();
    return buf.position() == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, buf.position());
  }

  private RunFile runFile(String runId) {
    RunFile f = open.get(runId);
    if (f != null) return f;
    Path file = fileOf(runId);
    PathLock lock = PathLock.acquire(canonicalDir.resolve(file.getFileName()));
    lock.lock();
    FileChannel ch = null;
    try {
      boolean created = false;
      boolean fromSpare = takeSpare(file);
      if (fromSpare) {
        ch = files.open(file, WRITE, APPEND);
        created = true;
      } else {
        try {
          ch = files.open(file, CREATE_NEW, WRITE, APPEND);
          created = true;
        } catch (FileAlreadyExistsException e) {
          ch = files.open(file, WRITE, APPEND);
        }
      }
      f = new RunFile(file, ch, lock);
      // forced with the file's first forced record (before it, nothing in the file needs to
      // survive), or, for a spare, with the run's last record
      f.directoryUnforced = created && fsync;
      f.findableAsSpare = fromSpare;
      open.put(runId, f);
      return f;
    } catch (IOException e) {
      closeQuietly(ch);
      throw new JournalException("cannot open " + file + " for appending: " + e.getMessage(), e);
    } finally {
      lock.unlock();
      if (f == null) lock.release();
    }
  }

  private void forceDirectoryIfNew(RunFile f) throws IOException {
    forceDirectoryIfNew(f, true);
  }

  private void forceDirectoryIfNew(RunFile f, boolean replaceSpare) throws IOException {
    if (!f.directoryUnforced) return;
    // the next run's spare, made now so that this one force makes its name durable too
    Path next = replaceSpare && spare == null && f.findableAsSpare ? newSpare() : null;
    syncDirectory();
    if (next != null) spare = next;
    f.directoryUnforced = false;
    f.findableAsSpare = false;
  }

  // ------------------------------------------------------------------ spares

  /**
   * The prefix of a spare run file's name. A new run's first record costs the file's creation and
   * two forces (the directory's, so the new name survives a crash, and the file's); a kill switch
   * waits for them. So the journal keeps one empty file made in advance, its name already forced:
   * a new run takes it (a hard link to the run's name, then the spare's name removed), and its first
   * record needs one force. The run's name is forced with its last record; if the machine stops
   * before that, the records are still under the spare's name, and the next {@link #create} on the
   * directory puts them back under the run's.
   */
  static final String SPARE_PREFIX = ".spare-";

  /** An empty spare older than this belonged to a process that stopped: it is removed. */
  private static final java.time.Duration ABANDONED = java.time.Duration.ofHours(1);

  /** Makes a spare now and forces the directory; without one, new runs create their file. */
  private void prepareSpare() {
    Path next = newSpare();
    if (next == null) return;
    try {
      syncDirectory();
      spare = next;
    } catch (IOException e) {
      deleteQuietly(next);
    }
  }

  /** An empty file under a new spare name, not yet forced into the directory; null if it cannot be made. */
  private @Nullable Path newSpare() {
    if (!fsync || WINDOWS) return null;
    Path p = dir.resolve(SPARE_PREFIX + java.util.UUID.randomUUID());
    try {
      files.open(p, CREATE_NEW, WRITE).close();
      return p;
    } catch (IOException | UnsupportedOperationException e) {
      deleteQuietly(p);
      return null;
    }
  }

  /**
   * Gives the spare {@code file}'s name: true if {@code file} is now the (empty) spare; false if
   * there is no spare, {@code file} exists already, or the link failed (the caller creates the file).
   */
  private boolean takeSpare(Path file) {
    Path s = spare;
    if (s == null) return false;
    try {
      // link(2) fails if the name exists: a run file is never replaced
      Files.createLink(file, s);
    } catch (FileAlreadyExistsException e) {
      return false; // the run exists: the spare stays for a new one
    } catch (IOException | UnsupportedOperationException | SecurityException e) {
      spare = null;
      deleteQuietly(s);
      return false;
    }
    spare = null;
    deleteQuietly(s); // if it stays (or a crash keeps it), the next create() sees both names on one file
    return true;
  }

  /**
   * Puts back under their run's name the records a crash left in a spare (the run's name was not
   * forced yet), removes a spare that names the same file as its run, and removes empty spares left
   * by processes that stopped. A spare whose first record is torn is left as it is.
   */
  private void adoptSpares() {
    List<Path> found = new ArrayList<>();
    try (Stream<Path> paths = Files.list(dir)) {
      paths.filter(p -> p.getFileName().toString().startsWith(SPARE_PREFIX)).forEach(found::add);
    } catch (IOException e) {
      throw new JournalException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    boolean changed = false;
    for (Path p : found) {
      try {
        long size = Files.size(p);
        if (size == 0) {
          if (Files.getLastModifiedTime(p).toInstant().isBefore(java.time.Instant.now().minus(ABANDONED))) {
            changed |= Files.deleteIfExists(p);
          }
          continue;
        }
        byte[] bytes = Files.readAllBytes(p);
        JournalCodec.Scan scan = JournalCodec.scan(bytes, bytes.length, p.toString());
        if (scan.records().isEmpty()) continue;
        Path file = fileOf(scan.records().get(0).runId());
        try {
          Files.createLink(file, p);
        } catch (FileAlreadyExistsException e) {
          if (!Files.isSameFile(file, p)) continue; // another file holds the run: both are kept
        }
        Files.delete(p);
        changed = true;
      } catch (NoSuchFileException e) {
        // another journal on the directory took it first
      } catch (IOException | JournalCorruptedException | IllegalArgumentException e) {
        throw new JournalException("cannot recover the run records in " + p + ": " + e.getMessage(), e);
      }
    }
    if (changed) {
      try {
        syncDirectory();
      } catch (IOException e) {
        throw new JournalException("cannot force directory " + dir + ": " + e.getMessage(), e);
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException ignored) {
      // an empty spare left behind is removed by a later create() once abandoned
    }
  }

  /**
   * Forces the directory, so a file just created in it keeps its name after a crash: on POSIX
   * systems forcing a file does not force the directory entry that names it.
   */
  private void syncDirectory() throws IOException {
    if (!fsync) return;
    FileChannel d;
    try {
      d = files.open(dir, READ);
    } catch (AccessDeniedException e) {
      if (WINDOWS) return; // Windows cannot open a directory as a file, so it cannot be forced either
      throw e;
    }
    try (d) {
      d.force(true);
    }
  }

  @Override
  public synchronized JournalRead read(String runId) {
    Path file = fileOf(runId);
    byte[] bytes;
    PathLock lock = PathLock.acquire(canonicalDir.resolve(file.getFileName()));
    lock.lock();
    try (FileChannel ch = files.open(file, READ)) {
      // shared: other readers may read along, a writer in another process finishes its record first
      ch.lock(0, Long.MAX_VALUE, true);
      bytes = readRange(ch, 0, ch.size(), file);
    } catch (NoSuchFileException e) {
      return new JournalRead(runId, List.of(), List.of());
    } catch (IOException e) {
      throw new JournalException("cannot read " + file + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
      lock.release();
    }
    JournalCodec.Scan scan = JournalCodec.scan(bytes, bytes.length, file.toString());
    List<String> problems = scan.tornProblem().isEmpty() ? List.of() : List.of(scan.tornProblem());
    return new JournalRead(runId, scan.records(), problems);
  }

  @Override
  public synchronized String repair(String runId) {
    Path file = fileOf(runId);
    RunFile stale = open.remove(runId);
    PathLock lock = PathLock.acquire(canonicalDir.resolve(file.getFileName()));
    lock.lock();
    try {
      if (stale != null) {
        closeQuietly(stale.ch);
        stale.lock.release();
      }
      FileChannel ch;
      try {
        ch = files.open(file, READ, WRITE);
      } catch (NoSuchFileException e) {
        return "";
      }
      try (ch) {
        ch.lock();
        byte[] bytes = readRange(ch, 0, ch.size(), file);
        JournalCodec.Scan scan = JournalCodec.scan(bytes, bytes.length, file.toString());
        if (scan.validLength() == bytes.length) return "";
        Path aside = dir.resolve(runId + ".jsonl.torn-" + scan.validLength());
        try {
          Files.write(aside, java.util.Arrays.copyOfRange(bytes, scan.validLength(), bytes.length),
              StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
          syncDirectory();
          ch.truncate(scan.validLength());
          ch.force(true);
        } catch (IOException e) {
          throw new JournalException("cannot move the torn tail of " + file + " aside to " + aside + ": " + e.getMessage(), e);
        }
        return scan.tornProblem() + "; its " + (bytes.length - scan.validLength()) + " bytes were kept in " + aside;
      }
    } catch (IOException e) {
      throw new JournalException("cannot repair " + file + ": " + e.getMessage(), e);
    } finally {
      lock.unlock();
      lock.release();
    }
  }

  @Override
  public synchronized List<String> runIds() {
    List<String> ids = new ArrayList<>();
    try (Stream<Path> paths = Files.list(dir)) {
      paths.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
          .sorted(Comparator.comparing(FileJournal::modified).thenComparing(Path::toString))
          .forEach(p -> ids.add(runIdOf(p)));
    } catch (IOException e) {
      throw new JournalException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return ids;
  }

  private static String runIdOf(Path file) {
    String n = file.getFileName().toString();
    return n.substring(0, n.length() - ".jsonl".length());
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  /** Forces what was appended lazily and closes the run files. */
  @Override
  public synchronized void close() {
    JournalException failure = null;
    for (Map.Entry<String, RunFile> e : List.copyOf(open.entrySet())) {
      RunFile f = e.getValue();
      f.lock.lock();
      try {
        forceDirectoryIfNew(f, false);
        if (f.unforced) f.ch.force(false);
      } catch (IOException ex) {
        if (failure == null) {
          failure = new JournalException("cannot force the records appended lazily to " + f.file + ": " + ex.getMessage(), ex);
        }
      } finally {
        closeRunFile(e.getKey(), f);
        f.lock.unlock();
        f.lock.release();
      }
    }
    // the spare goes with the journal (one forced above for a run's name included)
    if (spare != null) {
      deleteQuietly(spare);
      spare = null;
    }
    if (failure != null) throw failure;
  }

  /** Closes a run file; the caller holds its {@link PathLock} and no OS lock on it. */
  private void closeRunFile(String runId, RunFile f) {
    open.remove(runId, f);
    closeQuietly(f.ch);
  }

  private static void closeReader(RunFile f) {
    closeQuietly(f.reader);
    f.reader = null;
  }

  private static void release(FileLock os) {
    try {
      os.release();
    } catch (IOException ignored) {
      // the channel is gone, and the lock with it
    }
  }

  private static void closeQuietly(@Nullable FileChannel ch) {
    if (ch == null) return;
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing after a forced write loses nothing; a lazily written record is forced before close
    }
  }

  @Override
  public String toString() {
    return "FileJournal[" + dir + "]";
  }

  /**
   * A JVM-wide lock per canonical run file path. An OS file lock belongs to the process: two
   * journals of one JVM locking one file would get an {@link java.nio.channels.OverlappingFileLockException},
   * and closing any descriptor of a file drops the process's locks on it. So in this JVM every OS
   * lock, read and close of a run file happens under this lock. Counted, and forgotten when its last
   * user releases it, so a long-lived process does not keep one per run it ever ran.
   */
  private static final class PathLock {
    private static final ConcurrentHashMap<Path, PathLock> LOCKS = new ConcurrentHashMap<>();

    private final Path path;
    private final ReentrantLock lock = new ReentrantLock();
    private int users; // changed only inside LOCKS.compute for this path

    private PathLock(Path path) {
      this.path = path;
    }

    static PathLock acquire(Path canonical) {
      return LOCKS.compute(canonical, (p, l) -> {
        PathLock held = l == null ? new PathLock(p) : l;
        held.users++;
        return held;
      });
    }

    void release() {
      LOCKS.computeIfPresent(path, (p, l) -> --l.users == 0 ? null : l);
    }

    void lock() {
      lock.lock();
    }

    void unlock() {
      lock.unlock();
    }
  }
}
