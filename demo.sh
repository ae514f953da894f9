#!/usr/bin/env bash
# Runs the drill: release 2.4.0 of a checkout service goes bad and the library rolls every layer
# back (flag, traffic, workload, database), on the real modules. It prints what happened and the
# folder where it wrote the journal and the reports.
#
#   ./demo.sh [--real] [REPORT_DIR]
#
#   --real      run against a real HAProxy and PostgreSQL 15 (Debian's packages, which ./test.sh
#               installs when run as root); the drill starts both on loopback and stops them at the end
#   REPORT_DIR  where the journal and reports go (default: ./rollback-drill-<UTC time>)
#
# It builds the examples and the modules they use in this reactor (tests and javadoc skipped) and
# runs the drill from their target/ folders: nothing is installed into ~/.m2.
set -euo pipefail
cd "$(dirname "$0")"
# Debian's Maven 3.8 prints a colour reset (ESC[0m) on exit with -q unless told not to.
export MAVEN_OPTS="${MAVEN_OPTS:-} -Djansi.noreset=true"
mvn -B -q -Dstyle.color=never -pl examples -am \
  -DskipTests -Dmaven.javadoc.skip=true -Dmaven.source.skip=true \
  package dependency:build-classpath -Dmdep.outputFile=target/drill.classpath -Dmdep.includeScope=runtime
# haproxy lives in /usr/sbin, which is not on a non-root user's PATH on Debian
PATH="$PATH:/usr/sbin:/sbin" exec java -cp "examples/target/classes:$(cat examples/target/drill.classpath)" \
  dev.rollback.examples.Drill "$@"
