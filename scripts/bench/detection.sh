#!/usr/bin/env bash
# Detection benchmarks, not part of `mvn verify`:
#  1. JMH: RequestRecorder.record() next to Micrometer's Counter.increment() (and Timer.record) in one
#     run, from 1, 2 and 4 threads; then the two interleaved round by round (RecordRatioBenchmark),
#     which a machine whose load drifts affects on both sides alike, in FORKS JVMs (default 8) per
#     setting: "same-inputs" (both sides compute the same latency; they differ only in the call) and
#     "varying" (only the recorder's side computes it).
#  2. DetectionBenchmark on virtual time: 500 req/s, 1% background errors, then 100% errors; bad
#     responses before ROLL_BACK and time to fire for the sequential and the windowed rule over
#     N runs, then false fires over simulated days at 1% errors (days=0 skips this part).
#  3. The small regression (CanaryBenchmark, on virtual time): canary at 2% errors against a baseline at
#     1%, canarySequential at several tunings and traffic shares: canary requests before ROLL_BACK over
#     CANARY_RUNS runs, false rollbacks over AA_RUNS A/A runs of one simulated hour; Flagger's default
#     analysis on the same traffic.
# Usage: scripts/bench/detection.sh [runs=200] [days=3] [canaryRuns=1000] [aaRuns=1000]
#        SKIP_JMH=1 runs the detection parts only (2 and 3).
# Builds the worktree's modules with -am (nothing is installed into the local repository).
set -euo pipefail
cd "$(dirname "$0")/../.."
runs="${1:-200}"
days="${2:-3}"
canary_runs="${3:-1000}"
aa_runs="${4:-1000}"
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
# one reactor build: the last module written to the file is rollback-micrometer, whose classpath
# then names the worktree's rollback-core/target/classes
mvn -B -q -pl rollback-micrometer -am test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile="$cp_file"
CP="rollback-micrometer/target/test-classes:rollback-micrometer/target/classes:$(cat "$cp_file")"
if [[ -z "${SKIP_JMH:-}" ]]; then
for threads in 1 2 4; do
  echo "== JMH, $threads thread(s)"
  java -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=error org.openjdk.jmh.Main \
    'dev.rollback.micrometer.bench.RecordBenchmark' -f 1 -wi 2 -w 1s -i 3 -r 2s -t "$threads" -rf text \
    -rff "rollback-micrometer/target/jmh-$threads.txt" | grep -E '^(Benchmark|RecordBenchmark)' || true
  cat "rollback-micrometer/target/jmh-$threads.txt"
done
# one JVM's result depends on where its threads' counters land (±10% between JVMs), so each
# setting runs in several JVMs; compare the medians over them
forks="${FORKS:-8}"
echo "== interleaved: RequestRecorder.record() / Counter.increment(), 20 pairs of 200 ms, $forks JVMs each"
for mode in same-inputs varying; do
  for threads in 1 2 4; do
    for ((f = 1; f <= forks; f++)); do
      java -cp "$CP" dev.rollback.micrometer.bench.RecordRatioBenchmark "$threads" 20 200 "$mode"
    done
  done
done
fi
echo "== detection on virtual time"
java -cp "$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=error dev.rollback.micrometer.bench.DetectionBenchmark "$runs" "$days" \
  "$canary_runs" "$aa_runs"
