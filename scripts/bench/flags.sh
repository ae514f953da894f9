#!/usr/bin/env bash
# Kill-switch latency benchmark of rollback-featureflags (not part of mvn verify).
# Usage: scripts/bench/flags.sh [inmemory] [flagd] [unleash] [cold] [runs=50]
# cold: the first kill switch of a JVM, five fresh JVMs without and five with RollbackEngine.warmUp().
# Needs scripts/setup/40-unleash.sh for the Unleash part (./test.sh runs it).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
MVN_OPTS=(-B -q ${ROLLBACK_MVN_OFFLINE:+-o} ${ROLLBACK_MVN_REPO:+-Dmaven.repo.local=$ROLLBACK_MVN_REPO})
CP_FILE="$(mktemp)"
trap 'rm -f "$CP_FILE"' EXIT
# built in the reactor (nothing installed into ~/.m2); rollback-featureflags is built last, so the
# classpath file is its own
mvn "${MVN_OPTS[@]}" -pl rollback-featureflags -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$CP_FILE"
CP="rollback-featureflags/target/test-classes:rollback-featureflags/target/classes:$(cat "$CP_FILE")"
rest=()
cold=false
for a in "$@"; do
  if [ "$a" = cold ]; then cold=true; else rest+=("$a"); fi
done
if $cold; then
  for mode in cold warm cold warm cold warm cold warm cold warm; do
    java -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn dev.rollback.flags.bench.ColdKillSwitch "$mode"
  done
  [ ${#rest[@]} -gt 0 ] || exit 0
fi
exec java -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn dev.rollback.flags.bench.KillSwitchBenchmark "${rest[@]}"
