#!/usr/bin/env bash
# Runs the drill: a release of an in-process checkout service goes bad and is rolled back.
# Prints the folder it wrote its journal and reports to. Optional argument: that folder.
set -euo pipefail
cd "$(dirname "$0")"
mvn -B -q -DskipTests -pl examples -am install
exec mvn -B -q -pl examples exec:java -Dexec.mainClass=dev.rollback.examples.Drill ${1:+-Dexec.args="$1"}
