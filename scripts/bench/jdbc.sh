#!/usr/bin/env bash
# rollback-jdbc benchmark (not part of mvn verify): on a PostgreSQL 15 the benchmark starts on
# 127.0.0.1, a column-drop release on N rows (default 1,000,000), W application writes (default
# 10,000), our rollback next to pg_dump -t + pg_restore, the longest ACCESS EXCLUSIVE lock, and
# fingerprint rows/s next to SELECT count(*).
# Usage: scripts/bench/jdbc.sh [rows] [writes] [restore batch size]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
bash scripts/setup/20-postgres.sh
mvn -B -q -o -pl rollback-core install -DskipTests
mvn -B -q -o -pl rollback-jdbc test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
CP="rollback-jdbc/target/test-classes:rollback-jdbc/target/classes:$(cat rollback-jdbc/target/bench.classpath)"
exec java -Xmx1g -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn dev.rollback.jdbc.bench.JdbcRollbackBenchmark "$@"
