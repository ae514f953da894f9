#!/usr/bin/env bash
# Runs the rollback-notify benchmark: the same plan with four notification channels (one hanging)
# and with none, in one JVM. Args: [steps per run] [rounds]. Not part of `mvn verify`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -pl rollback-core install -Dmaven.test.skip=true  # the notify module runs against the current core
mvn -B -q -pl rollback-notify test-compile
cp_file="$(mktemp)"
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -pl rollback-notify dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file"
java -cp "rollback-notify/target/test-classes:rollback-notify/target/classes:$(cat "$cp_file")" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  dev.rollback.notify.bench.NotifyBenchmark "$@"
