#!/usr/bin/env bash
# Runs the rollback-notify benchmark: the same plan with four notification channels (one hanging)
# and with none, in one JVM. Args: [steps per run] [rounds]. Not part of `mvn verify`.
# Builds in the reactor and installs nothing: the core comes from rollback-core/target/classes, so
# the benchmark measures this checkout's core and never races other builds on ~/.m2.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -q -o -pl rollback-core,rollback-notify -am test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/bench.classpath
deps="$(cat rollback-notify/target/bench.classpath)"
java -cp "rollback-notify/target/test-classes:rollback-notify/target/classes:rollback-core/target/classes:$deps" \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=error \
  dev.rollback.notify.bench.NotifyBenchmark "$@"
