#!/usr/bin/env bash
# rollback-jdbc benchmark (not part of mvn verify): on a PostgreSQL 15 the benchmark starts on
# 127.0.0.1, a column-drop release on N rows (default 1,000,000), W application writes (default
# 10,000), our rollback next to pg_dump -t + pg_restore, the longest ACCESS EXCLUSIVE lock, and
# fingerprint rows/s next to SELECT count(*); the CPU seconds each way spends (server backends + client processes), the figure
# that stays comparable when other builds share the cores.
# Usage: scripts/bench/jdbc.sh [rows] [writes] [restore batch size] [restore connections, 0 = the default] [in-place|in-batches]
# "in-batches" builds the runner withTableRebuildAbove(Long.MAX_VALUE): the archived values go back by batches of updates in
# place even where the table would be rebuilt (by default above 200,000 archived rows).
# "in-place" builds the runner withDroppedColumnsKeptInPlace(): the release renames the column instead of archiving it.
# The runner's INFO lines break the rollback down: undo scripts, restore batches, verification, other.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash scripts/setup/20-postgres.sh
# Built in the reactor, never installed: rollback-core resolves to rollback-core/target/classes, so
# the benchmark runs in any worktree without touching ~/.m2 (other builds read it at the same time).
mvn -B -q -o -pl rollback-core,rollback-jdbc -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
grep -q "rollback-core/target/classes" rollback-jdbc/target/bench.classpath \
  || { echo "bench classpath does not take rollback-core from the reactor: rollback-jdbc/target/bench.classpath" >&2; exit 1; }
CP="rollback-jdbc/target/test-classes:rollback-jdbc/target/classes:$(cat rollback-jdbc/target/bench.classpath)"
exec java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.slf4j.simpleLogger.log.dev.rollback.jdbc.internal.Runner=info \
  -Dorg.slf4j.simpleLogger.log.dev.rollback.jdbc.internal.Rebuild=info dev.rollback.jdbc.bench.JdbcRollbackBenchmark "$@"
