package dev.rollback;

import dev.rollback.communication.CommunicationPlan;
import dev.rollback.detect.DetectionBudget;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.Trigger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * Deploy with automatic rollback: an ordered list of {@link Change}s with health gates between
 * them. Running it captures the known-good state first, applies the changes, and reverts every
 * applied change (the failing one included) in reverse order when a change fails, a health gate
 * does not pass, or a trigger fires.
 *
 * <pre>{@code
 * Release release = Release.builder("checkout-2.4.0")
 *     .change(Migrations.migrateTo(dataSource, "2.4.0"))
 *     .healthGate(health).within(ofMinutes(2))
 *     .change(Kubernetes.setImage(k8s, "shop", "checkout", image))
 *     .build();
 * RollbackResult result = engine.run(release);
 * }</pre>
 */
public final class Release {
  /** One element of a release: a change, or a health gate after the changes before it. */
  public sealed interface Element {}

  public record ChangeElement(Change change) implements Element {}

  /** Polls {@code check} every {@code interval} until UP; fails the release if not UP within {@code within}. */
  public record HealthGate(String name, HealthCheck check, Duration within, Duration interval) implements Element {}

  /**
   * Watches the release for {@code duration}: the triggers are evaluated every {@code interval},
   * and the release is reverted as soon as one says ROLL_BACK.
   */
  public record Bake(String name, Duration duration, Duration interval) implements Element {}

  private final String name;
  private final Deployment deployment;
  private final List<Element> elements;
  private final List<Trigger> triggers;
  private final List<HealthCheck> verifiedBy;
  private final FailurePolicy revertFailurePolicy;
  private final @Nullable Duration budget;
  private final CommunicationPlan communication;
  private final @Nullable Soak soak;
  private final List<String> outline;
  private final String fingerprint;

  private Release(Builder b) {
    this.name = b.name;
    this.deployment = b.deployment != null ? b.deployment : Deployment.of(b.name, "release");
    this.elements = List.copyOf(b.elements);
    this.triggers = List.copyOf(b.triggers);
    this.verifiedBy = List.copyOf(b.verifiedBy);
    this.revertFailurePolicy = b.revertFailurePolicy;
    this.budget = b.budget;
    this.communication = b.communication;
    this.soak = b.soak;
    this.outline = Outlines.outline(this);
    this.fingerprint = Outlines.sha256(outline);
  }

  public static Builder builder(String name) {
    return new Builder(name);
  }

  public String name() { return name; }
  public Deployment deployment() { return deployment; }
  public List<Element> elements() { return elements; }
  public List<Trigger> triggers() { return triggers; }
  public List<HealthCheck> verifiedBy() { return verifiedBy; }
  public FailurePolicy revertFailurePolicy() { return revertFailurePolicy; }
  public Optional<Duration> budget() { return Optional.ofNullable(budget); }
  public CommunicationPlan communication() { return communication; }
  /** How long recovery is watched after a revert, if the release says so ({@link Builder#soakFor}). */
  public Optional<Soak> soak() { return Optional.ofNullable(soak); }
  public String fingerprint() { return fingerprint; }

  /**
   * Everything that shapes a run, one line per element (the fingerprint is its hash); journaled
   * when a run starts, so a resume refused for a changed plan shows what changed.
   */
  public List<String> outline() { return outline; }

  /**
   * Each step's path, in order: {@code <change>/apply} for every change, then
   * {@code <change>/revert} for each revert, last change first (the order a revert runs them).
   * These name the steps in results ({@code result.step(path)}), journals, reports and gates.
   */
  public List<String> stepPaths() {
    List<String> paths = new ArrayList<>();
    List<Change> changes = changes();
    for (Change c : changes) paths.add(c.name() + "/apply");
    for (int i = changes.size() - 1; i >= 0; i--) paths.add(changes.get(i).name() + "/revert");
    return List.copyOf(paths);
  }

  /** The longest reverting every change can take, one after another. */
  public WorstCase worstCaseRevert() {
    return worstCaseRevert(changes());
  }

  private static WorstCase worstCaseRevert(List<Change> changes) {
    Duration total = Duration.ZERO;
    List<String> unbounded = new ArrayList<>();
    for (Change c : changes) {
      Optional<Duration> w = c.revert().worstCase();
      if (w.isEmpty()) unbounded.add(c.name() + "/revert");
      else total = total.plus(w.get());
    }
    return new WorstCase(total, unbounded);
  }

  public List<Change> changes() {
    List<Change> out = new ArrayList<>();
    for (Element e : elements) if (e instanceof ChangeElement c) out.add(c.change());
    return out;
  }

  @Override
  public String toString() {
    return "Release[" + name + ", " + changes().size() + " changes]";
  }

  public static final class Builder {
    private final String name;
    private @Nullable Deployment deployment;
    private final List<Element> elements = new ArrayList<>();
    private final List<Trigger> triggers = new ArrayList<>();
    private final List<HealthCheck> verifiedBy = new ArrayList<>();
    private FailurePolicy revertFailurePolicy = FailurePolicy.HALT_AND_ASK;
    private @Nullable Duration budget;
    private CommunicationPlan communication = CommunicationPlan.none();
    private int gates;
    private int bakes;
    private @Nullable Soak soak;
    /** Whether the last call was {@link #soakFor}, so {@link #checkingEvery} sets the soak's interval. */
    private boolean soakLast;

    private Builder(String name) {
      this.name = Objects.requireNonNull(name, "release name");
    }

    /** The deployment this release puts out; defaults to {@code <name>@release}. */
    public Builder forDeployment(Deployment deployment) {
      this.deployment = Objects.requireNonNull(deployment, "deployment");
      return this;
    }

    public Builder change(Change change) {
      soakLast = false;
      elements.add(new ChangeElement(Objects.requireNonNull(change, "change")));
      return this;
    }

    /**
     * After the changes so far, wait until {@code check} is UP — at most one minute, polling every
     * second, unless {@link #within} and {@link #checkingEvery} say otherwise:
     * {@code .healthGate(check).within(ofMinutes(2)).checkingEvery(ofSeconds(5))}. A gate that is not
     * UP in time, or a trigger that fires while it waits, reverts the release.
     */
    public Builder healthGate(HealthCheck check) {
      Objects.requireNonNull(check, "check");
      soakLast = false;
      gates++;
      elements.add(new HealthGate("health gate " + gates + " (" + check.name() + ")", check, Duration.ofMinutes(1),
          Duration.ofSeconds(1)));
      return this;
    }

    /** How long the health gate just added waits for UP. */
    public Builder within(Duration within) {
      Objects.requireNonNull(within, "within");
      if (elements.isEmpty() || !(elements.get(elements.size() - 1) instanceof HealthGate g)) {
        throw new IllegalStateException("within(" + within + ") of release '" + name + "' must follow healthGate(check)");
      }
      elements.set(elements.size() - 1, new HealthGate(g.name(), g.check(), within, g.interval()));
      return this;
    }

    /**
     * After the changes so far, watch the triggers for {@code duration}, evaluating them every
     * second unless {@link #checkingEvery} says otherwise: {@code .bakeFor(ofMinutes(10)).checkingEvery(ofSeconds(5))}.
     * A trigger that says ROLL_BACK reverts the release.
     */
    public Builder bakeFor(Duration duration) {
      Objects.requireNonNull(duration, "duration");
      soakLast = false;
      bakes++;
      elements.add(new Bake("bake " + bakes + " (" + duration + ")", duration, Duration.ofSeconds(1)));
      return this;
    }

    /** How often the health gate or bake just added polls its check or evaluates the triggers. */
    public Builder checkingEvery(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (soakLast && soak != null) {
        soak = new Soak(soak.window(), interval);
        return this;
      }
      Element last = elements.isEmpty() ? null : elements.get(elements.size() - 1);
      if (last instanceof HealthGate g) {
        elements.set(elements.size() - 1, new HealthGate(g.name(), g.check(), g.within(), interval));
      } else if (last instanceof Bake bk) {
        elements.set(elements.size() - 1, new Bake(bk.name(), bk.duration(), interval));
      } else {
        throw new IllegalStateException("checkingEvery(" + interval + ") of release '" + name
            + "' must follow healthGate(check), bakeFor(duration) or soakFor(window)");
      }
      return this;
    }

    /**
     * A rule evaluated after each change, at each health-gate poll and while baking; ROLL_BACK
     * reverts the release. Each run evaluates its own evaluator of it, created when the run starts.
     */
    public Builder trigger(Trigger trigger) {
      triggers.add(Objects.requireNonNull(trigger, "trigger"));
      return this;
    }

    /**
     * After a revert, keep watching for {@code window}: the {@code verifiedBy} checks and the
     * release's triggers (new evaluators, so what they saw of the release does not count) are
     * evaluated every 10 seconds unless {@link #checkingEvery} follows; a check that is not UP or a
     * trigger that says ROLL_BACK makes the run NOT_RECOVERED and asks the HUMAN_NEEDED audience.
     */
    public Builder soakFor(Duration window) {
      this.soak = Soak.of(Objects.requireNonNull(window, "window"));
      this.soakLast = true;
      return this;
    }

    /** The checks that define "recovered" after a revert. */
    public Builder verifiedBy(HealthCheck... checks) {
      for (HealthCheck c : checks) verifiedBy.add(Objects.requireNonNull(c, "check"));
      return this;
    }

    /** What to do when a revert still fails after its retries: HALT_AND_ASK (default) or CONTINUE. */
    public Builder withRevertFailurePolicy(FailurePolicy policy) {
      Objects.requireNonNull(policy, "policy");
      this.revertFailurePolicy = policy;
      return this;
    }

    public Builder withBudget(Duration budget) {
      this.budget = Objects.requireNonNull(budget, "budget");
      return this;
    }

    public Builder withCommunication(CommunicationPlan communication) {
      this.communication = Objects.requireNonNull(communication, "communication");
      return this;
    }

    /** Validates and builds; {@link PlanValidationException} lists every violation with its path. */
    public Release build() {
      List<String> violations = new ArrayList<>();
      String path = "release '" + name + "'";
      if (name.isBlank()) violations.add(path + ": name must not be blank");
      if (elements.stream().noneMatch(e -> e instanceof ChangeElement)) violations.add(path + ": has no changes");
      if (revertFailurePolicy == FailurePolicy.ABANDON) {
        violations.add(path + ": ABANDON does not apply to a release's revert; use HALT_AND_ASK or CONTINUE");
      }
      if (budget != null && (budget.isNegative() || budget.isZero())) violations.add(path + ": budget must be positive: " + budget);
      Set<String> names = new HashSet<>();
      for (Element e : elements) {
        if (e instanceof ChangeElement ce) {
          Change c = ce.change();
          String cp = path + " › change '" + c.name() + "'";
          if (!names.add(c.name())) violations.add(cp + ": change name is used twice");
          if (c.name().contains("/")) violations.add(cp + ": name must not contain '/'");
          for (String p : c.apply().problems()) violations.add(cp + " › apply: " + p);
          for (String p : c.revert().problems()) violations.add(cp + " › revert: " + p);
        } else if (e instanceof HealthGate g) {
          String gp = path + " › " + g.name();
          if (g.within().isNegative() || g.within().isZero()) violations.add(gp + ": wait must be positive: " + g.within());
          if (g.interval().isNegative() || g.interval().isZero()) violations.add(gp + ": interval must be positive: " + g.interval());
        } else if (e instanceof Bake bk) {
          String bp = path + " › " + bk.name();
          if (bk.duration().isNegative() || bk.duration().isZero()) violations.add(bp + ": duration must be positive: " + bk.duration());
          if (bk.interval().isNegative() || bk.interval().isZero()) violations.add(bp + ": interval must be positive: " + bk.interval());
          if (triggers.isEmpty()) violations.add(bp + ": bakes without a trigger to watch; add trigger(...)");
        }
      }
      if (soak != null) for (String p : soak.problems()) violations.add(path + ": " + p);
      if (budget != null && !budget.isNegative() && !budget.isZero() && !triggers.isEmpty()) {
        // detection plus reverting every change must fit the budget
        List<Change> changes = new ArrayList<>();
        for (Element e : elements) if (e instanceof ChangeElement ce) changes.add(ce.change());
        WorstCase revert = worstCaseRevert(changes);
        violations.addAll(dev.rollback.detect.DetectionBudget.violations(path, budget, triggers, Duration.ZERO,
            revert.duration(), "the reverts' step timeouts" + (revert.isBounded() ? ""
                : " (without " + String.join(", ", revert.unbounded()) + ", which have none)")));
      }
      if (!violations.isEmpty()) throw new PlanValidationException(name, violations);
      return new Release(this);
    }
  }
}
