package dev.rollback.flags;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rollback.LeaseLostException;
import dev.rollback.StepLease;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Flags in a flagd flag-definition file ({@code {"flags":{"<key>":{"state","variants",
 * "defaultVariant","targeting"}}}}), as read by the flagd daemon or by the flagd Java provider in
 * FILE mode. Every write replaces the whole file atomically (temp file in the same directory,
 * fsync, rename), so a reader never sees half a file and a failed write leaves the old file.
 * Everything in the file other than the flag being changed is kept as it was.
 *
 * <ul>
 *   <li>Kill switch: the flag stays {@code ENABLED} but serves its off variant to everyone
 *       (default variant = off, no targeting). {@code state: DISABLED} is avoided on purpose:
 *       flagd then answers FLAG_NOT_FOUND with the caller's default, which reads as an
 *       evaluation error.
 *   <li>Percentages and weights: a {@code fractional} rule, on variant first, so lowering a
 *       percentage never turns a user on. The default variant (users without a targeting key)
 *       becomes the off variant; for weights on a flag without one it stays as it was.
 *   <li>Off variant: the one whose value is {@code false}, else the one named {@code off}; or
 *       name it with {@link #withOffVariant}.
 * </ul>
 *
 * <p>A file that is not valid JSON is never overwritten: {@link InvalidFlagFileException} names
 * the line and column.
 *
 * <p>Fencing: a write by a replica acting under a lease ({@link #disable(String, StepLease)} and
 * the other lease-taking writes) is conditional. Holding an advisory lock on a sidecar file
 * ({@code .<name>.lock} next to the flag file, so writers in other processes on the same host or
 * shared volume wait), it reads the fencing token recorded in the file's top-level
 * {@code metadata} under {@code rollback.fencingToken.<lease name>}, refuses with a
 * {@link LeaseLostException} when a higher token wrote the file, checks the lease once more right
 * before the swap, and records its own token with the write. flagd reads {@code metadata} as the
 * flag set's metadata.
 */
public final class FlagdFileStore implements FlagStore {
  private static final Logger log = LoggerFactory.getLogger(FlagdFileStore.class);
  /** Made on first use: a plan that only names the file (validate, plan) does not pay for a mapper. */
  private static final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }
  /** The top-level metadata key prefix under which a write under a lease records its fencing token. */
  public static final String FENCING_TOKEN_KEY = "rollback.fencingToken.";
  /** One monitor per flag file in this JVM: the sidecar's file lock is per process, not per thread. */
  private static final ConcurrentMap<Path, Object> FILE_LOCKS = new ConcurrentHashMap<>();

  private final Path file;
  private final Map<String, String> offVariants;
  private final Map<String, String> onVariants;

  private FlagdFileStore(Path file, Map<String, String> offVariants, Map<String, String> onVariants) {
    this.file = file;
    this.offVariants = Map.copyOf(offVariants);
    this.onVariants = Map.copyOf(onVariants);
  }

  /** The flag file at {@code file}; it must exist when a flag is read or written. */
  public static FlagdFileStore of(Path file) {
    return new FlagdFileStore(Objects.requireNonNull(file, "file").toAbsolutePath(), Map.of(), Map.of());
  }

  /** Names the variants a flag's kill switch and percentage rollout use, for non-boolean flags. */
  public FlagdFileStore withVariants(String flag, String onVariant, String offVariant) {
    Map<String, String> off = new LinkedHashMap<>(offVariants);
    Map<String, String> on = new LinkedHashMap<>(onVariants);
    off.put(Objects.requireNonNull(flag, "flag"), Objects.requireNonNull(offVariant, "offVariant"));
    on.put(flag, Objects.requireNonNull(onVariant, "onVariant"));
    return new FlagdFileStore(file, off, on);
  }

  /** Names the variant a flag's kill switch serves. */
  public FlagdFileStore withOffVariant(String flag, String offVariant) {
    Map<String, String> off = new LinkedHashMap<>(offVariants);
    off.put(Objects.requireNonNull(flag, "flag"), Objects.requireNonNull(offVariant, "offVariant"));
    return new FlagdFileStore(file, off, onVariants);
  }

  public Path file() {
    return file;
  }

  @Override
  public String describe() {
    return "flagd file " + file;
  }

  @Override
  public synchronized FlagState read(String flag) {
    ObjectNode root = load();
    return stateOf(flag, flagNode(root, flag));
  }

  @Override
  public synchronized void disable(String flag) {
    disable(flag, StepLease.none());
  }

  /** The kill switch as a conditional write under {@code lease} (see the class comment). */
  @Override
  public synchronized void disable(String flag, StepLease lease) {
    write(lease, "kill switch on flag '" + flag + "'", root -> {
      ObjectNode f = flagNode(root, flag);
      String off = variantOf(flag, f, false);
      f.put("state", "ENABLED");
      f.put("defaultVariant", off);
      f.remove("targeting");
    });
  }

  @Override
  public synchronized void setRollout(String flag, Rollout rollout) {
    setRollout(flag, rollout, StepLease.none());
  }

  /** {@link #setRollout(String, Rollout)} as a conditional write under {@code lease} (see the class comment). */
  @Override
  public synchronized void setRollout(String flag, Rollout rollout, StepLease lease) {
    Objects.requireNonNull(rollout, "rollout");
    write(lease, "rollout " + rollout.encode() + " on flag '" + flag + "'", root -> rollout(root, flag, rollout));
  }

  private void rollout(ObjectNode root, String flag, Rollout rollout) {
    ObjectNode f = flagNode(root, flag);
    ArrayNode fractional = Json.MAPPER.createArrayNode();
    // the default variant serves users without a targeting key: the off variant, or, for weights on a
    // flag that has none (e.g. string variants), the default it already has
    String off = rollout instanceof Rollout.Weights && offVariants.get(flag) == null && findVariant(f, false) == null
        && f.path("variants").has(f.path("defaultVariant").asText(""))
        ? f.path("defaultVariant").asText() : variantOf(flag, f, false);
    if (rollout instanceof Rollout.Percentage p) {
      String on = variantOf(flag, f, true);
      fractional.add(Json.MAPPER.createArrayNode().add(on).add(p.percent()));
      fractional.add(Json.MAPPER.createArrayNode().add(off).add(100 - p.percent()));
    } else if (rollout instanceof Rollout.Weights w) {
      JsonNode variants = f.path("variants");
      w.weights().forEach((v, weight) -> {
        if (!variants.has(v)) {
          throw new IllegalArgumentException("flag '" + flag + "' in " + describe() + " has no variant '" + v
              + "' (variants: " + names(variants) + ")");
        }
        fractional.add(Json.MAPPER.createArrayNode().add(v).add(weight));
      });
    } else {
      throw new IllegalArgumentException("a custom rollout can only be restored, not set: flag '" + flag + "'");
    }
    f.put("state", "ENABLED");
    f.put("defaultVariant", off);
    ObjectNode targeting = Json.MAPPER.createObjectNode();
    targeting.set("fractional", fractional);
    f.set("targeting", targeting);
  }

  @Override
  public synchronized void restore(FlagState state) {
    restore(state, StepLease.none());
  }

  /** {@link #restore(FlagState)} as a conditional write under {@code lease} (see the class comment). */
  @Override
  public synchronized void restore(FlagState state, StepLease lease) {
    Objects.requireNonNull(state, "state");
    JsonNode definition;
    try {
      definition = Json.MAPPER.readTree(state.definition());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("captured definition of flag '" + state.flag() + "' is not JSON: " + e.getOriginalMessage(), e);
    }
    if (!(definition instanceof ObjectNode)) {
      throw new IllegalArgumentException("captured definition of flag '" + state.flag() + "' is not a flagd flag object (was it captured from another store?)");
    }
    write(lease, "restore of flag '" + state.flag() + "'", root -> flags(root).set(state.flag(), definition));
  }

  /**
   * Loads the file, lets {@code change} edit it and saves it; under a lease, as a conditional
   * write holding the sidecar lock (see the class comment).
   */
  private void write(StepLease lease, String what, Consumer<ObjectNode> change) {
    if (!lease.isPresent()) {
      ObjectNode root = load();
      change.accept(root);
      save(root, what);
      return;
    }
    lease.check();
    Path lockFile = file.resolveSibling("." + file.getFileName() + ".lock");
    synchronized (FILE_LOCKS.computeIfAbsent(file, f -> new Object())) {
      try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
           java.nio.channels.FileLock held = ch.lock()) {
        ObjectNode root = load();
        String key = FENCING_TOKEN_KEY + lease.name();
        JsonNode recorded = root.path("metadata").path(key);
        if (recorded.canConvertToLong() && recorded.asLong() > lease.token()) {
          throw new LeaseLostException(lease, describe() + " was written under fencing token " + recorded.asLong()
              + " of that lease; the write (" + what + ") was refused");
        }
        change.accept(root);
        JsonNode meta = root.get("metadata");
        ObjectNode metadata = meta instanceof ObjectNode o ? o : root.putObject("metadata");
        metadata.put(key, lease.token());
        lease.check(); // immediately before the swap
        save(root, what + " (fencing token " + lease.token() + ")");
      } catch (IOException e) {
        throw new FlagWriteException("cannot lock " + lockFile + " to write " + what + " to flag file " + file
            + " (the file was left as it was): " + e.getMessage(), e);
      }
    }
  }

  @Override
  public Bucketing bucketing() {
    return Bucketing.flagd();
  }

  @Override
  public synchronized String onVariant(String flag) {
    String named = onVariants.get(flag);
    if (named != null) return named;
    return variantOf(flag, flagNode(load(), flag), true);
  }

  @Override
  public synchronized String offVariant(String flag) {
    String named = offVariants.get(flag);
    if (named != null) return named;
    return variantOf(flag, flagNode(load(), flag), false);
  }

  /** The flag's variants whose values are a string, boolean or number, by name. */
  @Override
  public synchronized Map<String, Object> variantValues(String flag) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = flagNode(load(), flag).path("variants").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isTextual()) out.put(e.getKey(), v.asText());
      else if (v.isBoolean()) out.put(e.getKey(), v.booleanValue());
      else if (v.isInt()) out.put(e.getKey(), v.intValue());
      else if (v.isNumber()) out.put(e.getKey(), v.doubleValue());
    }
    return out;
  }

  // ---- reading

  private FlagState stateOf(String flag, ObjectNode f) {
    boolean stateEnabled = "ENABLED".equals(f.path("state").asText("ENABLED"));
    String defaultVariant = f.path("defaultVariant").asText("");
    JsonNode targeting = f.get("targeting");
    boolean noTargeting = targeting == null || targeting.isNull() || (targeting.isObject() && targeting.isEmpty());
    String off = offVariants.getOrDefault(flag, findVariant(f, false));
    boolean enabled = stateEnabled && !(noTargeting && defaultVariant.equals(off));
    Rollout rollout;
    if (noTargeting) {
      String on = onVariants.getOrDefault(flag, findVariant(f, true));
      rollout = defaultVariant.equals(on) || defaultVariant.equals(off) ? Rollout.all() : Rollout.weights(Map.of(defaultVariant, 1));
    } else {
      rollout = fractionalRollout(flag, f, targeting, off);
    }
    return new FlagState(flag, enabled, rollout, f.toString());
  }

  private Rollout fractionalRollout(String flag, ObjectNode f, JsonNode targeting, @Nullable String off) {
    if (!targeting.isObject() || targeting.size() != 1 || !targeting.path("fractional").isArray()) return Rollout.Custom.INSTANCE;
    Map<String, Integer> weights = new LinkedHashMap<>();
    for (JsonNode entry : targeting.get("fractional")) {
      if (!entry.isArray() || entry.isEmpty() || !entry.get(0).isTextual() || entry.size() > 2) return Rollout.Custom.INSTANCE;
      if (entry.size() == 2 && !entry.get(1).isIntegralNumber()) return Rollout.Custom.INSTANCE;
      weights.merge(entry.get(0).asText(), entry.size() == 2 ? entry.get(1).asInt() : 1, Integer::sum);
    }
    if (weights.isEmpty() || weights.values().stream().mapToInt(Integer::intValue).sum() <= 0) return Rollout.Custom.INSTANCE;
    String on = onVariants.getOrDefault(flag, findVariant(f, true));
    List<String> names = new ArrayList<>(weights.keySet());
    if (names.size() == 2 && names.get(0).equals(on) && names.get(1).equals(off)
        && weights.get(on) + weights.get(off) == 100) {
      return Rollout.percent(weights.get(on));
    }
    return Rollout.weights(weights);
  }

  /** The variant with boolean value {@code value}, else the one named on/off; null if none. */
  private static @Nullable String findVariant(ObjectNode f, boolean value) {
    JsonNode variants = f.path("variants");
    for (Iterator<Map.Entry<String, JsonNode>> it = variants.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (e.getValue().isBoolean() && e.getValue().booleanValue() == value) return e.getKey();
    }
    String name = value ? "on" : "off";
    return variants.has(name) ? name : null;
  }

  private String variantOf(String flag, ObjectNode f, boolean on) {
    String named = (on ? onVariants : offVariants).get(flag);
    String v = named != null ? named : findVariant(f, on);
    if (v == null || !f.path("variants").has(v)) {
      String which = on ? "on" : "off";
      throw new FlagException("flag '" + flag + "' in " + describe() + " has no " + which + " variant (variants: "
          + names(f.path("variants")) + "): give it a variant with value " + on + " or one named '" + which
          + "', or name one with FlagdFileStore.withVariants");
    }
    return v;
  }

  private static String names(JsonNode variants) {
    List<String> out = new ArrayList<>();
    variants.fieldNames().forEachRemaining(out::add);
    return out.toString();
  }

  private ObjectNode flagNode(ObjectNode root, String flag) {
    Objects.requireNonNull(flag, "flag");
    JsonNode f = flags(root).get(flag);
    if (f == null) {
      TreeSet<String> known = new TreeSet<>();
      flags(root).fieldNames().forEachRemaining(known::add);
      throw new UnknownFlagException(describe(), flag, String.join(", ", known));
    }
    if (!(f instanceof ObjectNode o)) {
      throw new InvalidFlagFileException(file, 0, 0, "flag '" + flag + "' is not a JSON object", null);
    }
    return o;
  }

  private ObjectNode flags(ObjectNode root) {
    JsonNode flags = root.get("flags");
    if (!(flags instanceof ObjectNode o)) {
      throw new InvalidFlagFileException(file, 1, 1, "there is no \"flags\" object at the top level", null);
    }
    return o;
  }

  private ObjectNode load() {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new FlagException("flag file " + file + " does not exist", e);
    } catch (IOException e) {
      throw new FlagException("cannot read flag file " + file + ": " + e.getMessage(), e);
    }
    JsonNode root;
    try {
      root = Json.MAPPER.readTree(bytes);
    } catch (JsonProcessingException e) {
      JsonLocation at = e.getLocation();
      throw new InvalidFlagFileException(file, at == null ? 0 : at.getLineNr(), at == null ? 0 : at.getColumnNr(),
          e.getOriginalMessage(), e);
    } catch (IOException e) {
      throw new FlagException("cannot read flag file " + file + ": " + e.getMessage(), e);
    }
    if (!(root instanceof ObjectNode o)) {
      throw new InvalidFlagFileException(file, 1, 1, "the top level is not a JSON object", null);
    }
    return o;
  }

  private void save(ObjectNode root, String what) {
    Path dir = file.getParent();
    Path tmp = null;
    try {
      FileTime before = Files.getLastModifiedTime(file);
      tmp = Files.createTempFile(dir, "." + file.getFileName() + ".", ".tmp");
      byte[] bytes = Json.MAPPER.writeValueAsBytes(root);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) ch.write(buf);
        ch.force(true);
      }
      // Readers that poll the modification time (the flagd provider's FILE mode) must see a newer one.
      FileTime written = Files.getLastModifiedTime(tmp);
      if (written.compareTo(before) <= 0) {
        Files.setLastModifiedTime(tmp, FileTime.fromMillis(before.toMillis() + 1));
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new FlagException("cannot replace " + file + " atomically (the directory does not support it): " + e.getMessage(), e);
      }
      tmp = null;
      log.info("{}: wrote {}", describe(), what);
    } catch (IOException e) {
      throw new FlagWriteException("cannot write " + what + " to flag file " + file + " (the file was left as it was): "
          + e.getMessage(), e);
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // the temp file is a dot-file next to the flag file; nothing reads it
        }
      }
    }
  }

  @Override
  public String toString() {
    return "FlagdFileStore[" + file + "]";
  }
}
