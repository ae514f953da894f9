#!/usr/bin/env bash
# Many replicas, one incident (not part of mvn verify): guards racing for their lease on the real
# servers. PostgreSQL (JdbcLease, JdbcJournal; a PostgreSQL 15 the benchmark starts on a unix
# socket): 50 guards of one service x TRIALS, and TAKEOVERS times the holder dying mid-run. A real
# kube-apiserver (scripts/k8s/cluster.sh, started and stopped by the benchmark JVM): the same on a
# coordination.k8s.io Lease, then 200 guards of 20 services firing together x FLEET.
# Usage: scripts/bench/leases.sh [TRIALS] [TAKEOVERS] [FLEET]   (defaults 10 3 3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
TRIALS="${1:-10}" TAKEOVERS="${2:-3}" FLEET="${3:-3}"
bash scripts/setup/20-postgres.sh
# a reactor build (-am): the modules these depend on come from this tree, never from ~/.m2
mvn -B -q -o -pl rollback-jdbc,rollback-k8s -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-leases.classpath -Dmdep.includeScope=test
for m in rollback-jdbc rollback-k8s; do
  grep -q "rollback-core/target/classes" "$m/target/bench-leases.classpath" \
    || { echo "bench classpath does not take rollback-core from the reactor: $m/target/bench-leases.classpath" >&2; exit 1; }
done
echo "== $(date -u +%FT%TZ) load: $(uptime)"
java -cp "rollback-jdbc/target/test-classes:rollback-jdbc/target/classes:$(cat rollback-jdbc/target/bench-leases.classpath)" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error dev.rollback.jdbc.bench.JdbcLeaseBenchmark "$TRIALS" "$TAKEOVERS"
echo "== $(date -u +%FT%TZ) load: $(uptime)"
java -cp "rollback-k8s/target/test-classes:rollback-k8s/target/classes:$(cat rollback-k8s/target/bench-leases.classpath)" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error dev.rollback.k8s.bench.KubernetesLeaseBenchmark "$TRIALS" "$TAKEOVERS" "$FLEET"
echo "== $(date -u +%FT%TZ) load: $(uptime)"
