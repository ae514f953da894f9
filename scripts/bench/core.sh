#!/usr/bin/env bash
# Engine overhead benchmark (JMH): per-step cost of a 1,000-step no-op plan with the in-memory and
# the file journal, next to one bare FileChannel.force on the same disk. Not part of mvn verify.
# Usage: scripts/bench/core.sh [JMH options, e.g. -f 1 -wi 3 -i 5] | ratio [pairs] | cpu [runs] | floor [samples]
set -euo pipefail
cd "$(dirname "$0")/../.."
mkdir -p target
# built in the reactor (no install); rollback-core is built last, so its classpath is the file's
mvn -B -q -pl rollback-core -am test-compile dependency:build-classpath -Dmdep.outputFile="$PWD/target/bench-classpath.txt" \
  -Dmdep.includeScope=test
CP="rollback-core/target/test-classes:rollback-core/target/classes:$(cat target/bench-classpath.txt)"
# "ratio [pairs]": the file journal per step against a bare fsync, interleaved (robust to a drifting disk)
if [ "${1:-}" = ratio ]; then
  exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.rollback.bench.FsyncRatio target "${2:-12}"
fi
# "floor [samples]": what the disk allows a new run's first durable record, without the engine
if [ "${1:-}" = floor ]; then
  exec java -cp "$CP" dev.rollback.bench.FsyncFloor "${2:-500}"
fi
# "cpu [runs]": the engine's own CPU time per step (in-memory journal), robust to a busy machine
if [ "${1:-}" = cpu ]; then
  exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" dev.rollback.bench.StepCpuTime "${2:-2000}"
fi
# JMH options: the arguments if given, else one fork, 3 warm-up and 5 measured iterations
if [ $# -eq 0 ]; then set -- -f 1 -wi 3 -w 2s -i 5 -r 3s; fi
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -Dbench.dir=target -cp "$CP" org.openjdk.jmh.Main \
  'dev.rollback.bench.EngineBenchmark' "$@"
