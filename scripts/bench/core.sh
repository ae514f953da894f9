#!/usr/bin/env bash
# Engine overhead benchmark (JMH): per-step cost of a 1,000-step no-op plan with the in-memory and
# the file journal, next to one bare FileChannel.force on the same disk. Not part of mvn verify.
# Usage: scripts/bench/core.sh [JMH options, e.g. -f 1 -wi 3 -i 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -pl rollback-core -am install -DskipTests
mvn -B -q -pl rollback-core test-compile dependency:build-classpath -Dmdep.outputFile=target/bench-classpath.txt \
  -Dmdep.includeScope=test
CP="rollback-core/target/test-classes:rollback-core/target/classes:$(cat target/bench-classpath.txt 2>/dev/null || cat rollback-core/target/bench-classpath.txt)"
mkdir -p target
# "ratio [pairs]": the file journal per step against a bare fsync, interleaved (robust to a drifting disk)
if [ "${1:-}" = ratio ]; then
  exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.rollback.bench.FsyncRatio target "${2:-12}"
fi
# JMH options: the arguments if given, else one fork, 3 warm-up and 5 measured iterations
if [ $# -eq 0 ]; then set -- -f 1 -wi 3 -w 2s -i 5 -r 3s; fi
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dbench.dir=target -cp "$CP" org.openjdk.jmh.Main \
  'dev.rollback.bench.EngineBenchmark' "$@"
