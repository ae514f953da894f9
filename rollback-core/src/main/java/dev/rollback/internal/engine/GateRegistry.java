package dev.rollback.internal.engine;

import dev.rollback.Decision;
import dev.rollback.GateRequest;
import dev.rollback.RollbackException;
import dev.rollback.engine.GateAlreadyDecidedException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/** The gates of all runs of one engine: who waits on what, and who answered. */
public final class GateRegistry {

  /** A decision with who made it and when. */
  public record Answer(Decision decision, String actor, boolean timedOut, Instant at) {}

  private record Pending(GateRequest request, CompletableFuture<Answer> answer) {}

  private final Map<String, Pending> pending = new ConcurrentHashMap<>();
  private final Map<String, Answer> decided = new ConcurrentHashMap<>();
  private final Clock clock;

  public GateRegistry(Clock clock) {
    this.clock = clock;
  }

  public CompletableFuture<Answer> open(GateRequest request) {
    CompletableFuture<Answer> f = new CompletableFuture<>();
    decided.remove(request.id());
    pending.put(request.id(), new Pending(request, f));
    return f;
  }

  /** Records a decision that a run read back from its journal (so a late second answer is refused). */
  public void remember(String gateId, Answer answer) {
    decided.putIfAbsent(gateId, answer);
  }

  public void answer(String gateId, Decision decision, String actor, boolean timedOut) {
    Objects.requireNonNull(gateId, "gateId");
    Objects.requireNonNull(decision, "decision");
    Objects.requireNonNull(actor, "actor");
    if (actor.isBlank()) throw new IllegalArgumentException("actor must name who decided");
    Pending p = pending.get(gateId);
    if (p == null) {
      Answer a = decided.get(gateId);
      if (a != null) throw new GateAlreadyDecidedException(gateId, a.decision(), a.actor(), a.at());
      throw new RollbackException("no open gate " + gateId + "; open gates: " + pending.keySet());
    }
    if (!p.request().options().contains(decision)) {
      throw new IllegalArgumentException("gate " + gateId + " (" + p.request().kind() + ") accepts "
          + p.request().options() + ", not " + decision);
    }
    Answer a = new Answer(decision, actor, timedOut, clock.instant());
    synchronized (p) {
      Answer earlier = decided.putIfAbsent(gateId, a);
      if (earlier != null) {
        if (timedOut) return; // a human was first; the timeout lost the race
        throw new GateAlreadyDecidedException(gateId, earlier.decision(), earlier.actor(), earlier.at());
      }
      pending.remove(gateId);
      p.answer().complete(a);
    }
  }

  /** Closes a gate without a decision (the run was cancelled). */
  public void abandon(String gateId) {
    Pending p = pending.remove(gateId);
    if (p != null) p.answer().cancel(false);
  }

  public List<GateRequest> pending() {
    List<GateRequest> out = new ArrayList<>();
    pending.values().forEach(p -> out.add(p.request()));
    out.sort((a, b) -> a.openedAt().compareTo(b.openedAt()));
    return out;
  }

  public List<GateRequest> pending(String runId) {
    return pending().stream().filter(g -> g.runId().equals(runId)).toList();
  }
}
