#!/usr/bin/env bash
# rollback-swarm: our restore to known-good next to `docker service rollback` on twin services (same
# replicas, same update/rollback config: parallelism 1, no delay, 500 ms monitor) on a private
# single-node Swarm (a dockerd the benchmark JVM starts on a unix socket and stops by its pid), then
# a stack of five services restored at once next to five `docker service rollback` calls in a row.
# Needs scripts/setup/60-swarm.sh. Not part of mvn verify.
# Usage: scripts/bench/swarm.sh [ROUNDS]   (default 5 measured rounds after one warm-up)
set -euo pipefail
cd "$(dirname "$0")/../.."
CPFILE="$PWD/rollback-swarm/target/bench-classpath.txt"
# a reactor build (no install): rollback-core's classes come from its target directory
mvn -B -q -o -pl rollback-swarm -am test-compile dependency:build-classpath -Dmdep.outputFile="$CPFILE" \
  -Dmdep.includeScope=test
CP="rollback-swarm/target/test-classes:rollback-swarm/target/classes:$(cat "$CPFILE")"
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.rollback.swarm.bench.SwarmRollbackBenchmark "$@"
