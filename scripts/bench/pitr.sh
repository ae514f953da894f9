#!/usr/bin/env bash
# Point-in-time recovery benchmark (not part of mvn verify): a PostgreSQL 15 with WAL archiving the
# benchmark starts on 127.0.0.1, a database of S MB (default 1024) with a 1,000,000-row orders table,
# a verified base backup, a restore point, a bad backfill and later writes; then R rounds (default 3)
# of the recovery by hand next to ours (SideBySideRestore), and copying orders back from the
# recovered copy next to pg_dump -t + pg_restore (and how many later writes each keeps).
# Usage: scripts/bench/pitr.sh [size in MB] [rounds]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash scripts/setup/20-postgres.sh
# Built in the reactor, never installed (see jdbc.sh).
mvn -B -q -o -pl rollback-core,rollback-jdbc -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
grep -q "rollback-core/target/classes" rollback-jdbc/target/bench.classpath \
  || { echo "bench classpath does not take rollback-core from the reactor: rollback-jdbc/target/bench.classpath" >&2; exit 1; }
CP="rollback-jdbc/target/test-classes:rollback-jdbc/target/classes:$(cat rollback-jdbc/target/bench.classpath)"
uptime
exec java -Xmx1g ${BENCH_JAVA_OPTS:-} -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -Dorg.slf4j.simpleLogger.log.dev.rollback.jdbc.pitr=info dev.rollback.jdbc.pitr.PitrBenchmark "$@"
