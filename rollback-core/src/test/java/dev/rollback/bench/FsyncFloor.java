package dev.rollback.bench;

import static java.nio.file.StandardOpenOption.APPEND;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What the disk allows a run's first durable record, without the engine: the latency of the file
 * operations a {@code FileJournal} does before a new run's first step may act, interleaved so a
 * drifting disk hits all alike. A kill switch on the file journal cannot be faster than its line.
 * Usage: {@code scripts/bench/core.sh floor [samples]}.
 */
public final class FsyncFloor {
  private FsyncFloor() {}

  public static void main(String[] args) throws IOException {
    int samples = args.length > 0 ? Integer.parseInt(args[0]) : 500;
    Path dir = Files.createTempDirectory(Path.of("target"), "fsync-floor");
    byte[] line = new byte[300];
    Arrays.fill(line, (byte) 'x');
    Map<String, List<Long>> nanos = new LinkedHashMap<>();
    String existing = "append + fdatasync, a file that exists (a run's later records)";
    String created = "create + directory force + fdatasync (a new run's file, no spare)";
    String spare = "link a spare made earlier + append + fdatasync (a new run's file, FileJournal)";
    for (String m : List.of(existing, created, spare)) nanos.put(m, new ArrayList<>());
    try (FileChannel old = FileChannel.open(dir.resolve("existing"), CREATE, WRITE, APPEND)) {
      for (int i = 0; i < samples + 20; i++) {
        long t0 = System.nanoTime();
        old.write(ByteBuffer.wrap(line));
        old.force(false);
        record(nanos.get(existing), i, t0);

        t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(dir.resolve("new-" + i), CREATE_NEW, WRITE, APPEND)) {
          ch.write(ByteBuffer.wrap(line));
          forceDirectory(dir);
          ch.force(false);
        }
        record(nanos.get(created), i, t0);

        Path s = dir.resolve(".spare-" + i);
        FileChannel.open(s, CREATE_NEW, WRITE).close();
        forceDirectory(dir);
        t0 = System.nanoTime();
        Path run = dir.resolve("run-" + i);
        Files.createLink(run, s);
        Files.delete(s);
        try (FileChannel ch = FileChannel.open(run, WRITE, APPEND)) {
          ch.write(ByteBuffer.wrap(line));
          ch.force(false);
        }
        record(nanos.get(spare), i, t0);
      }
    } finally {
      try (var files = Files.list(dir)) {
        for (Path p : files.toList()) Files.delete(p);
      }
      Files.delete(dir);
    }
    System.out.printf(Locale.ROOT, "%d samples each after 20 warm-up, interleaved; ms%n", samples);
    for (Map.Entry<String, List<Long>> e : nanos.entrySet()) {
      List<Long> l = e.getValue();
      Collections.sort(l);
      System.out.printf(Locale.ROOT, "%-82s p50 %6.3f  p90 %6.3f  p99 %6.3f  max %7.3f%n", e.getKey(),
          l.get(l.size() / 2) / 1e6, l.get(l.size() * 9 / 10) / 1e6, l.get(l.size() * 99 / 100) / 1e6, l.get(l.size() - 1) / 1e6);
    }
  }

  private static void record(List<Long> into, int i, long t0) {
    long t = System.nanoTime() - t0;
    if (i >= 20) into.add(t);
  }

  private static void forceDirectory(Path dir) throws IOException {
    try (FileChannel d = FileChannel.open(dir, READ)) {
      d.force(true);
    }
  }
}
