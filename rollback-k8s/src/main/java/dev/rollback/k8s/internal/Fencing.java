package dev.rollback.k8s.internal;

import dev.rollback.LeaseLostException;
import dev.rollback.StepLease;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Conditional writes under a lease: every object a rollback writes under a lease carries the
 * annotation {@value #ANNOTATION} ({@code "<token> <lease name>"}), written in the same request
 * as the change, which carries the resourceVersion just read as its precondition. Before writing,
 * the fresh read's annotation is checked: a higher token of the same lease means another replica
 * took the lease over and wrote the object, and the write is refused.
 */
public final class Fencing {
  /** The annotation holding the highest fencing token that wrote the object, and its lease. */
  public static final String ANNOTATION = "rollback.dev/fencing-token";

  private Fencing() {}

  /**
   * Throws {@link LeaseLostException} when {@code lease} is lost, or when {@code fresh} (just read)
   * was written under a higher token of the same lease.
   */
  public static void check(StepLease lease, @Nullable HasMetadata fresh, String what) {
    lease.check();
    if (!lease.isPresent() || fresh == null) return;
    long recorded = recordedToken(fresh, lease.name());
    if (recorded > lease.token()) {
      throw new LeaseLostException(lease, what + " carries fencing token " + recorded + " (annotation " + ANNOTATION
          + "): another replica took the lease over and wrote it; the write was refused");
    }
  }

  /** The token of {@code lease} recorded on {@code o}; 0 when none. */
  public static long recordedToken(HasMetadata o, String lease) {
    Map<String, String> a = o.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(ANNOTATION);
    if (v == null) return 0;
    int space = v.indexOf(' ');
    if (space < 0 || !v.substring(space + 1).equals(lease)) return 0;
    try {
      return Long.parseLong(v.substring(0, space));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  /** The annotation's value for {@code lease}. */
  public static String value(StepLease lease) {
    return lease.token() + " " + lease.name();
  }

  /** {@code annotations} with the token of {@code lease} recorded (unchanged without a lease). */
  public static Map<String, String> annotated(@Nullable Map<String, String> annotations, StepLease lease) {
    Map<String, String> out = new LinkedHashMap<>(annotations == null ? Map.of() : annotations);
    if (lease.isPresent()) out.put(ANNOTATION, value(lease));
    return out;
  }

  /** The JSON-patch operation recording the token of {@code lease} on {@code fresh}; empty without a lease. */
  public static List<Map<String, Object>> patch(StepLease lease, HasMetadata fresh) {
    if (!lease.isPresent()) return List.of();
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("op", "add");
    Map<String, String> now = fresh.getMetadata().getAnnotations();
    if (now == null || now.isEmpty()) { // fabric8 reads an absent map as empty: add the map itself
      op.put("path", "/metadata/annotations");
      op.put("value", Map.of(ANNOTATION, value(lease)));
    } else {
      op.put("path", "/metadata/annotations/" + ANNOTATION.replace("~", "~0").replace("/", "~1"));
      op.put("value", value(lease));
    }
    return List.of(op);
  }
}
