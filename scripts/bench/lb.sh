#!/usr/bin/env bash
# rollback-lb benchmark (not part of mvn verify): a bad release on real HAProxy at 200 req/s,
# (a) guard + HAProxy router vs (b) HAProxy alone (observe layer7 / error-limit / on-error mark-down),
# N runs each (default 10), then the time of single runtime API commands.
# Needs haproxy (scripts/setup/30-lb.sh). Usage: scripts/bench/lb.sh [runs]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl rollback-lb test-compile
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -o -pl rollback-lb dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
# copy the core jar: other builds may reinstall it in ~/.m2 while the benchmark runs
jar_dir="$(mktemp -d)"
trap 'rm -f "$cp_file"; rm -rf "$jar_dir"' EXIT
cp_entries=""
IFS=: read -ra entries < "$cp_file" || true
for e in "${entries[@]}"; do
  if [[ "$e" == *rollback-core* ]]; then cp "$e" "$jar_dir/"; e="$jar_dir/$(basename "$e")"; fi
  cp_entries="$cp_entries:$e"
done
java -cp "rollback-lb/target/test-classes:rollback-lb/target/classes$cp_entries" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  dev.rollback.lb.bench.LbBenchmark "${1:-10}"

