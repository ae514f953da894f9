package dev.rollback.jdbc.internal;

import dev.rollback.jdbc.MigrationException;
import java.io.IOException;
import java.io.InputStream;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds {@code V<version>__<description>.sql} and {@code U<version>__<description>.sql} scripts in
 * a folder or a classpath location and pairs them by version.
 */
public final class MigrationLoader {
  private static final Pattern NAME = Pattern.compile("([VU])([0-9][0-9._]*?)__(.+)\\.sql");

  private MigrationLoader() {}

  /** A script found: its name (file name), where it came from, and its text. */
  public record Script(String name, String location, String text) {}

  public static List<Script> fromFolder(Path folder) {
    if (!Files.isDirectory(folder)) throw new MigrationException("migration folder " + folder + " does not exist or is not a folder");
    List<Script> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(folder)) {
      for (Path p : files.sorted().toList()) {
        if (Files.isRegularFile(p) && p.getFileName().toString().endsWith(".sql")) {
          out.add(new Script(p.getFileName().toString(), p.toString(), Files.readString(p, StandardCharsets.UTF_8)));
        }
      }
    } catch (IOException e) {
      throw new MigrationException("cannot read migration folder " + folder + ": " + e.getMessage(), e);
    }
    return out;
  }

  public static List<Script> fromClasspath(String location, ClassLoader loader) {
    String loc = location.startsWith("classpath:") ? location.substring("classpath:".length()) : location;
    while (loc.startsWith("/")) loc = loc.substring(1);
    while (loc.endsWith("/")) loc = loc.substring(0, loc.length() - 1);
    List<Script> out = new ArrayList<>();
    try {
      Enumeration<URL> urls = loader.getResources(loc);
      if (!urls.hasMoreElements()) throw new MigrationException("classpath location '" + location + "' does not exist");
      while (urls.hasMoreElements()) {
        URL url = urls.nextElement();
        if (url.getProtocol().equals("file")) {
          for (Script s : fromFolder(Paths.get(url.toURI()))) out.add(new Script(s.name(), "classpath:" + loc + "/" + s.name(), s.text()));
        } else if (url.getProtocol().equals("jar")) {
          JarURLConnection conn = (JarURLConnection) url.openConnection();
          conn.setUseCaches(false);
          try (JarFile jar = conn.getJarFile()) {
            Enumeration<JarEntry> entries = jar.entries();
            while (entries.hasMoreElements()) {
              JarEntry e = entries.nextElement();
              String n = e.getName();
              if (!e.isDirectory() && n.startsWith(loc + "/") && n.indexOf('/', loc.length() + 1) < 0 && n.endsWith(".sql")) {
                try (InputStream in = jar.getInputStream(e)) {
                  out.add(new Script(n.substring(loc.length() + 1), "classpath:" + n, new String(in.readAllBytes(), StandardCharsets.UTF_8)));
                }
              }
            }
          }
        } else {
          throw new MigrationException("classpath location '" + location + "' is in a " + url.getProtocol() + " URL, which cannot be listed: " + url);
        }
      }
    } catch (IOException | URISyntaxException e) {
      throw new MigrationException("cannot list classpath location '" + location + "': " + e.getMessage(), e);
    }
    return out;
  }

  /** Pairs V and U scripts by version and parses them; every problem names the script. */
  public static List<LoadedMigration> load(List<Script> scripts) {
    Map<String, Script> ups = new TreeMap<>(Version::compare);
    Map<String, Script> downs = new LinkedHashMap<>();
    Map<String, String> descriptions = new LinkedHashMap<>();
    for (Script s : scripts) {
      if (s.name().startsWith("R__") || s.name().startsWith("B")) continue; // repeatable and baseline: not ours
      Matcher m = NAME.matcher(s.name());
      if (!m.matches()) {
        if (s.name().startsWith("V") || s.name().startsWith("U")) {
          throw new MigrationException(s.location() + ": the name does not follow V<version>__<description>.sql "
              + "(or U<version>__<description>.sql for its undo), e.g. V2__add_discount.sql");
        }
        continue;
      }
      String version;
      try {
        version = Version.normalize(m.group(2));
      } catch (IllegalArgumentException e) {
        throw new MigrationException(s.location() + ": " + e.getMessage());
      }
      Map<String, Script> target = m.group(1).equals("V") ? ups : downs;
      Script previous = target.put(version, s);
      if (previous != null) {
        throw new MigrationException("two scripts for version " + version + ": " + previous.location() + " and " + s.location());
      }
      if (m.group(1).equals("V")) descriptions.put(version, m.group(3).replace('_', ' '));
    }
    for (String v : downs.keySet()) {
      if (!ups.containsKey(v)) {
        throw new MigrationException(downs.get(v).location() + " undoes version " + v + ", but there is no V" + v + "__….sql");
      }
    }
    List<LoadedMigration> out = new ArrayList<>();
    for (Map.Entry<String, Script> e : ups.entrySet()) {
      Script up = e.getValue();
      Script down = downs.get(e.getKey());
      out.add(LoadedMigration.sql(e.getKey(), descriptions.get(e.getKey()), up.name(), up.text(),
          down == null ? null : down.name(), down == null ? null : down.text()));
    }
    return out;
  }
}
