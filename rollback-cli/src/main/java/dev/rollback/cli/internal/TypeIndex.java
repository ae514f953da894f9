package dev.rollback.cli.internal;

import dev.rollback.spi.StepType;
import dev.rollback.spi.TargetType;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import org.jspecify.annotations.Nullable;

/**
 * The step and target types {@link java.util.ServiceLoader} found on one class path, written down
 * with the size and modification time of every jar of that class path (the jars named by the
 * manifests' {@code Class-Path} included). Finding the types anew opens every jar of the class
 * path, about 80 for the command with all modules; reading the index only looks at the jars'
 * sizes and times, and loads the types it lists. An index that does not match the class path of
 * this JVM in every jar is not used: the types are found with {@code ServiceLoader} as always.
 *
 * <p>{@code bin/rollback} writes one when it trains its class-data-sharing archive and hands it to
 * later starts with {@code -Drollback.typeIndex=FILE}.
 */
final class TypeIndex {
  private TypeIndex() {}

  /** The system property naming the index to read. */
  static final String PROPERTY = "rollback.typeIndex";
  private static final String HEADER = "rollback type index 1";
  /** Resources looked up on every start whose absence the index records (a miss opens every jar). */
  static final List<String> RESOURCES = List.of("simplelogger.properties");

  /** What an index lists: the types' class names, and the resources the class path does not have. */
  record Listed(List<String> steps, List<String> targets, Set<String> absent) {}

  private static volatile @Nullable Optional<Listed> current;

  /** The index named by {@value #PROPERTY}, read once; empty when there is none or it does not match this class path. */
  static Optional<Listed> current() {
    Optional<Listed> c = current;
    if (c == null) {
      String file = System.getProperty(PROPERTY);
      c = file == null ? Optional.empty() : Optional.ofNullable(read(Path.of(file), System.getProperty("java.class.path", "")));
      current = c;
    }
    return c;
  }

  /** Whether the index of this class path says that {@code resource} is not on it. */
  static boolean absent(String resource) {
    return current().map(l -> l.absent().contains(resource)).orElse(false);
  }

  /** Writes the types of {@code registry}, found on this JVM's class path, to {@code file}. */
  static void write(Path file, Registry registry) {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    for (File jar : classPath()) {
      b.append("jar\t").append(jar.length()).append('\t').append(jar.lastModified()).append('\t').append(jar.getPath()).append('\n');
    }
    for (String r : RESOURCES) {
      if (ClassLoader.getSystemResource(r) == null) b.append("absent\t").append(r).append('\n');
    }
    for (StepType t : registry.steps().values()) b.append("step\t").append(t.getClass().getName()).append('\n');
    for (TargetType t : registry.targets().values()) b.append("target\t").append(t.getClass().getName()).append('\n');
    try {
      Files.writeString(file, b, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the type index " + file + ": " + e.getMessage(), e);
    }
  }

  /** What the index at {@code file} lists; null when it is missing, unreadable or made for another {@code classPath}. */
  static @Nullable Listed read(Path file, String classPath) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException | UncheckedIOException e) {
      return null;
    }
    if (lines.isEmpty() || !lines.get(0).equals(HEADER)) return null;
    List<String> steps = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    Set<String> absent = new HashSet<>();
    int jars = 0;
    for (String line : lines.subList(1, lines.size())) {
      String[] f = line.split("\t", 4);
      switch (f[0]) {
        case "jar" -> {
          if (f.length != 4) return null;
          File jar = new File(f[3]);
          if (jar.isDirectory()) return null;
          if (!Long.toString(jar.length()).equals(f[1]) || !Long.toString(jar.lastModified()).equals(f[2])) return null;
          jars++;
        }
        case "step" -> steps.add(f[1]);
        case "target" -> targets.add(f[1]);
        case "absent" -> absent.add(f[1]);
        default -> {
          return null;
        }
      }
    }
    if (jars == 0 || !sameClassPath(lines, classPath)) return null;
    return new Listed(List.copyOf(steps), List.copyOf(targets), Set.copyOf(absent));
  }

  /** The registry of the types {@code listed} names, loaded with {@code loader}; null if one cannot be made. */
  static @Nullable Registry registry(Listed listed, ClassLoader loader) {
    try {
      List<StepType> s = new ArrayList<>();
      for (String c : listed.steps()) s.add(instance(c, StepType.class, loader));
      List<TargetType> t = new ArrayList<>();
      for (String c : listed.targets()) t.add(instance(c, TargetType.class, loader));
      return Registry.of(s, t);
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return null;
    }
  }

  /** Whether the index's first jars are {@code classPath}'s entries, in its order. */
  private static boolean sameClassPath(List<String> lines, String classPath) {
    String[] cp = classPath.split(File.pathSeparator);
    if (lines.size() <= cp.length) return false;
    for (int i = 0; i < cp.length; i++) {
      String[] f = lines.get(i + 1).split("\t", 4);
      if (f.length != 4 || !f[0].equals("jar") || !new File(f[3]).equals(new File(cp[i]).getAbsoluteFile())) return false;
    }
    return true;
  }

  private static <T> T instance(String name, Class<T> type, ClassLoader loader) throws ReflectiveOperationException {
    Class<? extends T> c = Class.forName(name, true, loader).asSubclass(type);
    Constructor<? extends T> k = c.getConstructor();
    return k.newInstance();
  }

  /** The jars of this JVM's class path, the entries first, then those their manifests' Class-Path name, as the class loader does. */
  private static List<File> classPath() {
    Set<File> out = new LinkedHashSet<>();
    Deque<File> todo = new ArrayDeque<>();
    for (String e : System.getProperty("java.class.path", "").split(File.pathSeparator)) {
      if (!e.isEmpty()) todo.add(new File(e).getAbsoluteFile());
    }
    List<File> first = List.copyOf(todo);
    while (!todo.isEmpty()) {
      File f = todo.poll();
      if (!out.add(f) || !f.isFile()) continue;
      try (JarFile jar = new JarFile(f)) {
        Manifest m = jar.getManifest();
        String cp = m == null ? null : m.getMainAttributes().getValue(Attributes.Name.CLASS_PATH);
        if (cp == null) continue;
        for (String rel : cp.trim().split("\\s+")) {
          if (!rel.isEmpty()) todo.add(new File(f.getParentFile(), rel).getAbsoluteFile());
        }
      } catch (IOException e) {
        // not a jar: a directory or a file the class loader skips as well
      }
    }
    List<File> all = new ArrayList<>(first);
    for (File f : out) if (!all.contains(f)) all.add(f);
    return all;
  }
}
