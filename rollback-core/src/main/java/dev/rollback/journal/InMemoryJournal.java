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

  /** One run's bytes; records are encoded straight into them. */
  private static final class Run {
    final JournalCodec.Line bytes = new JournalCodec.Line(1024);
    long highestFence;

    void add(byte[] line) {
      bytes.raw(line);
    }
  }

  public static InMemoryJournal create() {
    return new InMemoryJournal();
  }

  @Override
  public synchronized void append(JournalRecord record) {
    Run run = runs.computeIfAbsent(record.runId(), k -> new Run());
    if (record.fence() < run.highestFence) throw new FencedOffException(record.runId(), record.fence(), run.highestFence);
    JournalCodec.encodeInto(record, run.bytes);
    run.highestFence = Math.max(run.highestFence, record.fence());
  }

  @Override
  public synchronized JournalRead read(String runId) {
    Run run = runs.get(runId);
    if (run == null) return new JournalRead(runId, List.of(), List.of());
    JournalCodec.Scan scan = JournalCodec.scan(run.bytes.buf, run.bytes.len, "memory:" + runId);
    return new JournalRead(runId, scan.records(), scan.tornProblem().isEmpty() ? List.of() : List.of(scan.tornProblem()));
  }

  @Override
  public synchronized String repair(String runId) {
    Run run = runs.get(runId);
    if (run == null) return "";
    JournalCodec.Scan scan = JournalCodec.scan(run.bytes.buf, run.bytes.len, "memory:" + runId);
    if (scan.validLength() == run.bytes.len) return "";
    int dropped = run.bytes.len - scan.validLength();
    run.bytes.len = scan.validLength();
    return scan.tornProblem() + "; " + dropped + " bytes set aside";
  }

  @Override
  public synchronized List<String> runIds() {
    return new ArrayList<>(runs.keySet());
  }

  /** The encoded bytes of a run, as a file journal would hold them. */
  public synchronized byte[] bytes(String runId) {
    Run run = runs.get(runId);
    return run == null ? new byte[0] : Arrays.copyOf(run.bytes.buf, run.bytes.len);
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
    return run == null ? 0 : run.bytes.len;
  }
}
