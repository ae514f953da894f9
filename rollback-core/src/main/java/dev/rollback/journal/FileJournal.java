package dev.rollback.journal;

import dev.rollback.internal.JournalCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
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
import java.util.stream.Stream;

/**
 * The default journal: one JSON-lines file per run in a directory ({@code <runId>.jsonl}), each
 * record forced to disk ({@link FileChannel#force}) before {@link #append} returns, each line
 * carrying a CRC32C. A torn last line is reported and, on {@link #repair}, moved aside to
 * {@code <runId>.jsonl.torn-<offset>} before the file is appended to again.
 */
public final class FileJournal implements Journal {
  private final Path dir;
  private final boolean fsync;
  private final Map<String, Channel> open = new HashMap<>();

  private static final class Channel {
    final FileChannel ch;
    long highestFence;

    Channel(FileChannel ch, long highestFence) {
      this.ch = ch;
      this.highestFence = highestFence;
    }
  }

  private FileJournal(Path dir, boolean fsync) {
    this.dir = dir;
    this.fsync = fsync;
  }

  /** A journal in {@code dir}, created if missing. */
  public static FileJournal in(Path dir) {
    Objects.requireNonNull(dir, "dir");
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new JournalException("cannot create journal directory " + dir + ": " + e.getMessage(), e);
    }
    return new FileJournal(dir, true);
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

  /** Written now, forced with the next {@link #append}: the file keeps the order, so nothing is lost out of order. */
  @Override
  public synchronized void appendLazily(JournalRecord record) {
    write(record, false);
  }

  private void write(JournalRecord record, boolean force) {
    Channel c = channel(record.runId());
    if (record.fence() < c.highestFence) {
      throw new FencedOffException(record.runId(), record.fence(), c.highestFence);
    }
    byte[] line = JournalCodec.encode(record);
    try {
      ByteBuffer buf = ByteBuffer.wrap(line);
      while (buf.hasRemaining()) c.ch.write(buf);
      if (fsync && (force || record.is(RecordType.PLAN_COMPLETED))) c.ch.force(false);
    } catch (IOException e) {
      throw new JournalException("cannot append " + record.type() + " to " + fileOf(record.runId()) + ": " + e.getMessage(), e);
    }
    c.highestFence = Math.max(c.highestFence, record.fence());
    if (record.is(RecordType.PLAN_COMPLETED)) {
      // the run has ended: let its file go, or a long-lived process would hold one open file per run
      // it ever ran; a record added later (an acknowledgement) opens it again and re-reads its fence
      open.remove(record.runId());
      try {
        c.ch.close();
      } catch (IOException ignored) {
        // closing after a forced write loses nothing
      }
    }
  }

  private Channel channel(String runId) {
    Channel c = open.get(runId);
    if (c != null) return c;
    Path file = fileOf(runId);
    long highest = 0;
    if (Files.exists(file)) {
      JournalRead read = read(runId);
      if (!read.problems().isEmpty()) {
        throw new JournalException("run " + runId + " has a torn record (" + String.join("; ", read.problems())
            + "); call repair(\"" + runId + "\") (resume does) before appending");
      }
      for (JournalRecord r : read.records()) highest = Math.max(highest, r.fence());
    }
    try {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
      c = new Channel(ch, highest);
      open.put(runId, c);
      return c;
    } catch (IOException e) {
      throw new JournalException("cannot open " + file + " for appending: " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized JournalRead read(String runId) {
    Path file = fileOf(runId);
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new JournalRead(runId, List.of(), List.of());
    } catch (IOException e) {
      throw new JournalException("cannot read " + file + ": " + e.getMessage(), e);
    }
    JournalCodec.Scan scan = JournalCodec.scan(bytes, bytes.length, file.toString());
    List<String> problems = scan.tornProblem().isEmpty() ? List.of() : List.of(scan.tornProblem());
    return new JournalRead(runId, scan.records(), problems);
  }

  @Override
  public synchronized String repair(String runId) {
    Path file = fileOf(runId);
    if (!Files.exists(file)) return "";
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new JournalException("cannot read " + file + ": " + e.getMessage(), e);
    }
    JournalCodec.Scan scan = JournalCodec.scan(bytes, bytes.length, file.toString());
    if (scan.validLength() == bytes.length) return "";
    Path aside = dir.resolve(runId + ".jsonl.torn-" + scan.validLength());
    try {
      Channel c = open.remove(runId);
      if (c != null) c.ch.close();
      Files.write(aside, java.util.Arrays.copyOfRange(bytes, scan.validLength(), bytes.length),
          StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE, StandardOpenOption.SYNC);
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
        ch.truncate(scan.validLength());
        ch.force(true);
      }
    } catch (IOException e) {
      throw new JournalException("cannot move the torn tail of " + file + " aside to " + aside + ": " + e.getMessage(), e);
    }
    return scan.tornProblem() + "; its " + (bytes.length - scan.validLength()) + " bytes were kept in " + aside;
  }

  @Override
  public synchronized List<String> runIds() {
    List<String> ids = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(p -> p.getFileName().toString().endsWith(".jsonl"))
          .sorted(Comparator.comparing(FileJournal::modified).thenComparing(Path::toString))
          .forEach(p -> {
            String n = p.getFileName().toString();
            ids.add(n.substring(0, n.length() - ".jsonl".length()));
          });
    } catch (IOException e) {
      throw new JournalException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    return ids;
  }

  private static FileTime modified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  @Override
  public synchronized void close() {
    for (Channel c : open.values()) {
      try {
        c.ch.close();
      } catch (IOException ignored) {
        // closing after a forced write loses nothing
      }
    }
    open.clear();
  }

  @Override
  public String toString() {
    return "FileJournal[" + dir + "]";
  }

}
