package dev.rollback.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Opens real files and records what a {@link FileJournal} did with them: each open (with its
 * options), each force, how much of the file each force covered, and which bytes were read back.
 * Files are named by their file name in {@link #events()}.
 */
final class RecordingJournalFiles implements JournalFiles {
  private final List<String> events = new ArrayList<>();
  private final Map<Path, Long> forcedThrough = new HashMap<>();
  private final Map<Path, Integer> forces = new HashMap<>();
  private final Map<Path, List<long[]>> reads = new HashMap<>();

  @Override
  public synchronized FileChannel open(Path path, OpenOption... options) throws IOException {
    FileChannel real = FileChannel.open(path, options);
    events.add("open " + name(path) + " " + List.of(options));
    return new RecordingFileChannel(real, path.toAbsolutePath());
  }

  /** What happened, in order: {@code open <name> [options]}, {@code force <name>}. */
  synchronized List<String> events() {
    return List.copyOf(events);
  }

  /** How many times {@code file} was forced, through any channel. */
  synchronized int forces(Path file) {
    return forces.getOrDefault(file.toAbsolutePath(), 0);
  }

  /** The size {@code file} had when it was last forced: the bytes that force made durable. */
  synchronized long forcedThrough(Path file) {
    return forcedThrough.getOrDefault(file.toAbsolutePath(), 0L);
  }

  /** The byte ranges read from {@code file} ({@code from..to}, adjacent reads merged), then forgotten. */
  synchronized List<String> takeReads(Path file) {
    List<long[]> ranges = reads.getOrDefault(file.toAbsolutePath(), List.of());
    List<String> merged = new ArrayList<>();
    long from = -1;
    long to = -1;
    for (long[] r : ranges) {
      if (r[0] == to) {
        to = r[1];
        continue;
      }
      if (from >= 0) merged.add(from + ".." + to);
      from = r[0];
      to = r[1];
    }
    if (from >= 0) merged.add(from + ".." + to);
    reads.remove(file.toAbsolutePath());
    return merged;
  }

  /** A file's name; spares, whose names are random, as {@code .spare-*}. */
  private static String name(Path path) {
    String n = path.getFileName().toString();
    return n.startsWith(FileJournal.SPARE_PREFIX) ? FileJournal.SPARE_PREFIX + "*" : n;
  }

  private synchronized void forced(Path path, long size) {
    events.add("force " + name(path));
    forces.merge(path, 1, Integer::sum);
    forcedThrough.put(path, size);
  }

  private synchronized void read(Path path, long position, int bytes) {
    if (bytes > 0) reads.computeIfAbsent(path, p -> new ArrayList<>()).add(new long[] {position, position + bytes});
  }

  /** A real channel that reports its forces and reads; everything else goes straight through. */
  private final class RecordingFileChannel extends FileChannel {
    private final FileChannel real;
    private final Path path;

    RecordingFileChannel(FileChannel real, Path path) {
      this.real = real;
      this.path = path;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      real.force(metaData);
      forced(path, real.size());
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      long at = real.position();
      int n = real.read(dst);
      RecordingJournalFiles.this.read(path, at, n);
      return n;
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      int n = real.read(dst, position);
      RecordingJournalFiles.this.read(path, position, n);
      return n;
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) {
      throw new UnsupportedOperationException("scattering reads are not recorded");
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      return real.write(src);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      return real.write(srcs, offset, length);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      return real.write(src, position);
    }

    @Override
    public long position() throws IOException {
      return real.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
      real.position(newPosition);
      return this;
    }

    @Override
    public long size() throws IOException {
      return real.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      real.truncate(size);
      return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) {
      throw new UnsupportedOperationException("transfers are not recorded");
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) {
      throw new UnsupportedOperationException("transfers are not recorded");
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) {
      throw new UnsupportedOperationException("mapped reads and writes are not recorded");
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      return real.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      return real.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
      real.close();
    }
  }
}
