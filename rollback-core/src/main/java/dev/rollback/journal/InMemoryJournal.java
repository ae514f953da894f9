package dev.rollback.journal;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A journal in memory that stores each run as the same bytes the {@link FileJournal} writes, so
 * tests exercise the real codec and can cut a run's bytes anywhere to simulate a crash
 * ({@link #bytes}, {@link #withBytes}).
 */
public final class InMemoryJournal implements Journal {
  private final Map<String, Run> runs = new LinkedHashMap<>();

  /**
   * One run's bytes; records are encoded straight into them. Filled chunks are kept as they are and
   * a new one started, so a long run's bytes are never copied to grow (a 1,000-step run is about
   * 300 KB); a record is never split between chunks.
   */
  private static final class Run {
    static final int CHUNK = 64 * 1024;
    /** Start a new chunk when less than this is left: a step's record is a few hundred bytes. */
    static final int ROOM = 4 * 1024;
    final List<byte[]> full = new ArrayList<>();
    final List<Integer> fullLengths = new ArrayList<>();
    int fullBytes;
    /** The chunk records go to; its string encodings are kept for the next records. */
    final JournalCodec.Line current = JournalCodec.Line.forRecords(1024);
    long highestFence;

    void add(byte[] line) {
      current.raw(line);
    }

    void encode(JournalRecord record) {
      if (current.len > CHUNK - ROOM) {
        full.add(current.buf);
        fullLengths.add(current.len);
        fullBytes += current.len;
        current.buf = new byte[CHUNK];
        current.len = 0;
      }
      JournalCodec.encodeInto(record, current);
    }

    int size() {
      return fullBytes + current.len;
    }

    /** Every byte of the run, in one array. */
    byte[] all() {
      byte[] out = new byte[size()];
      int at = 0;
      for (int i = 0; i < full.size(); i++) {
        System.arraycopy(full.get(i), 0, out, at, fullLengths.get(i));
        at += fullLengths.get(i);
      }
      System.arraycopy(current.buf, 0, out, at, current.len);
      return out;
    }

    /** Keeps the first {@code length} bytes (a repair setting a torn tail aside). */
    void truncate(int length) {
      byte[] kept = Arrays.copyOf(all(), length);
      full.clear();
      fullLengths.clear();
      fullBytes = 0;
      current.buf = kept.length == 0 ? new byte[1024] : kept;
      current.len = length;
    }
  }

  public static InMemoryJournal create() {
    return new InMemoryJournal();
  }

  @Override
  public synchronized void append(JournalRecord record) {
    Run run = runs.computeIfAbsent(record.runId(), k -> new Run());
    if (record.fence() < run.highestFence) throw new FencedOffException(record.runId(), record.fence(), run.highestFence);
    run.encode(record);
    run.highestFence = Math.max(run.highestFence, record.fence());
  }

  @Override
  public synchronized JournalRead read(String runId) {
    Run run = runs.get(runId);
    if (run == null) return new JournalRead(runId, List.of(), List.of());
    byte[] all = run.all();
    JournalCodec.Scan scan = JournalCodec.scan(all, all.length, "memory:" + runId);
    return new JournalRead(runId, scan.records(), scan.tornProblem().isEmpty() ? List.of() : List.of(scan.tornProblem()));
  }

  @Override
  public synchronized String repair(String runId) {
    Run run = runs.get(runId);
    if (run == null) return "";
    byte[] all = run.all();
    JournalCodec.Scan scan = JournalCodec.scan(all, all.length, "memory:" + runId);
    if (scan.validLength() == all.length) return "";
    int dropped = all.length - scan.validLength();
    run.truncate(scan.validLength());
    return scan.tornProblem() + "; " + dropped + " bytes set aside";
  }

  @Override
  public synchronized List<String> runIds() {
    return new ArrayList<>(runs.keySet());
  }

  /** The encoded bytes of a run, as a file journal would hold them. */
  public synchronized byte[] bytes(String runId) {
    Run run = runs.get(runId);
    return run == null ? new byte[0] : run.all();
  }

  /** A new journal holding {@code bytes} as the run's content (e.g. a prefix cut at any byte). */
  public static InMemoryJournal withBytes(String runId, byte[] bytes) {
    InMemoryJournal j = new InMemoryJournal();
    Run run = new Run();
    run.add(bytes);
    j.runs.put(runId, run);
    return j;
  }

  /** Total bytes of a run. */
  public synchronized int size(String runId) {
    Run run = runs.get(runId);
    return run == null ? 0 : run.size();
  }
}
