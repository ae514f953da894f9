#!/usr/bin/env bash
# Kill-switch latency benchmark of rollback-featureflags (not part of mvn verify).
# Usage: scripts/bench/flags.sh [inmemory] [flagd] [unleash] [runs=50]
# Needs scripts/setup/40-unleash.sh for the Unleash part (./test.sh runs it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MVN_OPTS=(-B -q ${ROLLBACK_MVN_OFFLINE:+-o} ${ROLLBACK_MVN_REPO:+-Dmaven.repo.local=$ROLLBACK_MVN_REPO})
mvn "${MVN_OPTS[@]}" -pl rollback-core install -DskipTests
mvn "${MVN_OPTS[@]}" -pl rollback-featureflags test-compile
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
mvn "${MVN_OPTS[@]}" -pl rollback-featureflags dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$CP_FILE"
exec java -cp "rollback-featureflags/target/test-classes:rollback-featureflags/target/classes:$(cat "$CP_FILE")" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  dev.rollback.flags.bench.KillSwitchBenchmark "$@"
