package dev.rollback.examples;

import dev.rollback.Change;
import dev.rollback.Deployment;
import dev.rollback.Release;
import dev.rollback.RollbackPlan;
import dev.rollback.RollbackResult;
import dev.rollback.detect.HealthCheck;
import dev.rollback.detect.HealthStatus;
import dev.rollback.engine.RollbackEngine;
import dev.rollback.journal.InMemoryJournal;
import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The runs whose post-mortem charts the browser test looks at: short ones run by the engine, and a long one written out. */
final class ChartRuns {
  private ChartRuns() {}

  /** A two-step rollback run by the engine: every milestone falls within milliseconds of the others. */
  static List<JournalRecord> shortRollback() {
    RollbackPlan plan = RollbackPlan.builder("checkout-2.4.0")
        .sequential("stop the bleeding", s -> s.step("kill switch", ctx -> { }))
        .sequential("restore", s -> s.step("traffic to blue", ctx -> { }))
        .verifiedBy(HealthCheck.constant("checkout", HealthStatus.UP))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      RollbackResult r = engine.run(plan, Deployment.of("checkout", "2.4.0"));
      return engine.journal().read(r.runId()).records();
    }
  }

  /** A release run by the engine whose third change fails: two applies, one failed apply, three reverts. */
  static List<JournalRecord> revertedRelease() {
    Release release = Release.builder("checkout-2.4.0")
        .forDeployment(Deployment.of("checkout", "2.4.0"))
        .change(Change.of("flag", ctx -> { }, ctx -> { }))
        .change(Change.of("traffic", ctx -> { }, ctx -> { }))
        .change(Change.of("image", ctx -> {
          throw new IllegalStateException("image checkout:2.4.0 crashes on start");
        }, ctx -> { }))
        .build();
    try (RollbackEngine engine = RollbackEngine.builder().withJournal(InMemoryJournal.create()).build()) {
      RollbackResult r = engine.run(release);
      return engine.journal().read(r.runId()).records();
    }
  }

  /**
   * About forty minutes of a rollback with 36 steps in six stages (some with long names, a retry, a
   * skipped one), six gates (one decided by its timeout), notifications and health checks:
   * detected and acknowledged a second apart at the start, mitigated and resolved two seconds
   * apart at the end.
   */
  static List<JournalRecord> longRollback() {
    Records r = new Records("guard-checkout-2.4.0-5f3e2a1b9c0d");
    r.add(0, RecordType.RUN_CREATED, null, "mode", "rollback", "plan", "checkout-2.4.0", "deployment", "checkout@2.4.0",
        "service", "checkout", "version", "2.4.0");
    r.add(1_000, RecordType.TRIGGER_FIRED, null, "trigger", "error ratio", "verdict", "ROLL_BACK",
        "evidence", "412 of 2000 requests failed (20.6% > 5%) over 30 s", "where", "guard");
    r.add(1_010, RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "checkout-2.4.0", "deployment", "checkout@2.4.0",
        "reason", "trigger 'error ratio' fired");
    r.add(1_500, RecordType.NOTIFICATION, null, "kind", "ROLLBACK_TRIGGERED", "audience", "on-call", "channel", "pagerduty",
        "status", "SENT", "attempts", 1);
    r.add(2_000, RecordType.ACKNOWLEDGED, null, "actor", "alice", "source", "pagerduty");
    long at = 2_100;
    String[] stages = {"stop the bleeding", "traffic", "workloads of the checkout service in every region", "caches",
        "database", "clean up"};
    int gate = 0;
    for (int stage = 0; stage < stages.length; stage++) {
      r.add(at, RecordType.STAGE_STARTED, stages[stage], "parallel", false);
      for (int i = 1; i <= 6; i++) {
        String step = stages[stage] + "/" + (i == 3 ? "restore the known-good revision of deployment checkout-api-" + i
            : "step " + i + " of " + stages[stage]);
        at += 10_000;
        if (i == 2) {
          gate++;
          String id = "run/" + step + "/APPROVAL@" + gate;
          r.add(at, RecordType.GATE_OPENED, step, "gateId", id, "gate", "approval " + gate, "kind", "APPROVAL",
              "question", "Approve '" + step + "'?", "onTimeout", gate == 4 ? "PROCEED" : "HALT");
          r.add(at + 200, RecordType.NOTIFICATION, null, "kind", "HUMAN_NEEDED", "audience", "on-call", "channel", "slack",
              "status", gate == 3 ? "FAILED" : "SENT", "attempts", 1);
          at += 60_000;
          r.add(at, RecordType.GATE_DECIDED, step, "gateId", id, "decision", "PROCEED", "actor", gate == 4 ? "timeout" : "alice",
              "timedOut", gate == 4);
        }
        r.add(at, RecordType.STEP_STARTED, step, "attempt", 1);
        if (i == 4) {
          r.add(at + 5_000, RecordType.STEP_FAILED, step, "attempt", 1, "error", "connection reset", "timedOut", false,
              "final", false);
          at += 8_000;
          r.add(at, RecordType.STEP_STARTED, step, "attempt", 2);
        }
        if (i == 6 && stage == 5) {
          at += 1_000;
          r.add(at, RecordType.STEP_SKIPPED, step, "reason", "nothing to clean up");
        } else {
          at += 20_000 + 7_000L * i;
          r.add(at, RecordType.STEP_SUCCEEDED, step, "attempt", i == 4 ? 2 : 1, "millis", 20_000 + 7_000L * i);
        }
      }
    }
    at += 2_000;
    r.add(at, RecordType.HEALTH_CHECKED, "verify", "check", "checkout", "status", "UP", "detail", "200 OK");
    r.add(at + 10, RecordType.NOTIFICATION, null, "kind", "ROLLBACK_COMPLETED", "audience", "on-call", "channel", "pagerduty",
        "status", "SENT", "attempts", 1);
    r.add(at + 20, RecordType.PLAN_COMPLETED, null, "outcome", "RECOVERED", "summary", "recovered: 36 steps, verification UP");
    return r.records;
  }

  private static final class Records {
    static final Instant T0 = Instant.parse("2026-11-26T22:00:00Z");
    final String run;
    final List<JournalRecord> records = new ArrayList<>();

    Records(String run) {
      this.run = run;
    }

    void add(long afterMillis, RecordType type, String step, Object... kv) {
      Map<String, Object> data = new LinkedHashMap<>();
      for (int i = 0; i < kv.length; i += 2) data.put((String) kv[i], kv[i + 1]);
      records.add(JournalRecord.of(records.size() + 1, run, type, T0.plusMillis(afterMillis), 0, step, data));
    }
  }
}
