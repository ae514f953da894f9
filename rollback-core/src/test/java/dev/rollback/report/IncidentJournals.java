package dev.rollback.report;

import dev.rollback.journal.JournalRecord;
import dev.rollback.journal.RecordType;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Hand-written journals of incidents, with exact times, for the timeline and post-mortem tests. */
final class IncidentJournals {
  static final Instant T0 = Instant.parse("2026-11-26T22:00:00Z");
  static final String RUN = "checkout-1764194400000-ab12cd34";

  private final List<JournalRecord> records = new ArrayList<>();

  IncidentJournals add(long afterMillis, RecordType type, String step, Object... kv) {
    Map<String, Object> data = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) data.put((String) kv[i], kv[i + 1]);
    records.add(JournalRecord.of(records.size() + 1, RUN, type, T0.plusMillis(afterMillis), 0, step, data));
    return this;
  }

  List<JournalRecord> records() {
    return List.copyOf(records);
  }

  /**
   * A guard armed at T0; two minutes later the error-ratio trigger starts the rollback; the kill
   * switch works, the migration fails once, then waits for the DBA, alice approves after a minute,
   * the migration succeeds, verification is UP. The Slack channel is archived. An undo snapshot
   * holds a password that must never reach a report.
   */
  static List<JournalRecord> recoveredWithAHuman() {
    return new IncidentJournals()
        .add(0, RecordType.RUN_CREATED, null, "mode", "rollback", "plan", "checkout-2.4.0", "deployment", "checkout@2.4.0",
            "service", "checkout", "version", "2.4.0")
        .add(5, RecordType.KNOWN_GOOD, "stop the bleeding/kill switch", "snapshot", Map.of("flag", "on"))
        .add(120_000, RecordType.PLAN_STARTED, null, "mode", "rollback", "plan", "checkout-2.4.0",
            "deployment", "checkout@2.4.0", "reason", "trigger 'error-ratio' fired: 0.12 > 0.05 over PT30S")
        .add(120_010, RecordType.STAGE_STARTED, "stop the bleeding", "parallel", true)
        .add(120_020, RecordType.STEP_STARTED, "stop the bleeding/kill switch", "attempt", 1)
        .add(120_220, RecordType.STEP_SUCCEEDED, "stop the bleeding/kill switch", "attempt", 1, "millis", 200)
        .add(120_230, RecordType.STAGE_STARTED, "restore", "parallel", false)
        .add(120_240, RecordType.UNDO_SNAPSHOT, "restore/migrate down", "snapshot", Map.of("dsn", "postgres://app:hunter2@db/shop"))
        .add(120_250, RecordType.GATE_OPENED, "restore/migrate down", "gateId", RUN + "/restore/migrate down/APPROVAL@s#1",
            "gate", "dba", "kind", "APPROVAL", "question", "Approve 'migrate down'? If nobody answers by 2026-11-26T22:07:00Z, the gate decides HALT.",
            "onTimeout", "HALT")
        .add(121_000, RecordType.NOTIFICATION, null, "kind", "HUMAN_NEEDED", "audience", "stakeholders", "channel", "slack",
            "status", "FAILED", "attempts", 1, "error", "DeliveryFailure: slack: HTTP 410 channel_is_archived")
        .add(121_000, RecordType.NOTIFICATION, null, "kind", "HUMAN_NEEDED", "audience", "on-call", "channel", "pagerduty",
            "status", "SENT", "attempts", 1)
        .add(180_250, RecordType.GATE_DECIDED, "restore/migrate down", "gateId", RUN + "/restore/migrate down/APPROVAL@s#1",
            "decision", "PROCEED", "actor", "alice", "timedOut", false)
        .add(180_300, RecordType.STEP_STARTED, "restore/migrate down", "attempt", 1)
        .add(181_300, RecordType.STEP_FAILED, "restore/migrate down", "attempt", 1, "error", "lock timeout on table orders",
            "timedOut", false, "final", false)
        .add(182_300, RecordType.STEP_STARTED, "restore/migrate down", "attempt", 2)
        .add(185_300, RecordType.STEP_SUCCEEDED, "restore/migrate down", "attempt", 2, "millis", 3000)
        .add(186_000, RecordType.HEALTH_CHECKED, "verify", "check", "checkout", "status", "UP", "detail", "200 OK")
        .add(186_100, RecordType.PLAN_COMPLETED, null, "outcome", "RECOVERED", "summary", "recovered: 2 steps, verification UP")
        .records();
  }

  /** A release whose trigger fired after the first change; the revert succeeded; no human. */
  static List<JournalRecord> revertedRelease() {
    return new IncidentJournals()
        .add(0, RecordType.RUN_CREATED, null, "mode", "release", "plan", "checkout-2.4.0", "deployment", "checkout@2.4.0")
        .add(10, RecordType.PLAN_STARTED, null, "mode", "release", "plan", "checkout-2.4.0", "deployment", "checkout@2.4.0",
            "reason", "started")
        .add(20, RecordType.STEP_STARTED, "image/apply", "attempt", 1)
        .add(2_020, RecordType.STEP_SUCCEEDED, "image/apply", "attempt", 1, "millis", 2000)
        .add(32_000, RecordType.TRIGGER_FIRED, null, "trigger", "p99 latency", "verdict", "ROLL_BACK",
            "evidence", "p99 812 ms > 500 ms", "where", "after change 'image'")
        .add(32_010, RecordType.RELEASE_REVERTING, null, "reason", "trigger 'p99 latency' fired")
        .add(32_020, RecordType.STEP_STARTED, "image/revert", "attempt", 1)
        .add(34_020, RecordType.STEP_SUCCEEDED, "image/revert", "attempt", 1, "millis", 2000)
        .add(34_100, RecordType.PLAN_COMPLETED, null, "outcome", "RECOVERED", "summary", "reverted")
        .records();
  }
}
