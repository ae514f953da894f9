#!/usr/bin/env bash
# rollback-k8s: our Deployment undo next to `kubectl rollout undo` (+ `kubectl rollout status`) on a
# real kube-apiserver + kube-controller-manager (scripts/k8s/cluster.sh, started and stopped by the
# benchmark JVM) with the test-side node simulator, and the undo that also restores the ConfigMaps
# the template references next to the plain one. Not part of mvn verify.
# Usage: scripts/bench/k8s.sh [ROUNDS]   (default 7 measured rounds after one warm-up)
#        scripts/bench/k8s.sh --timeline [ROUNDS] [-v]   where an undo's time goes, ours and kubectl's:
#        the events of the Deployment, its ReplicaSets and pods in ms after the undo call (a diagnosis,
#        not figures: K8sRolloutTimeline)
set -euo pipefail
cd "$(dirname "$0")/../.."
# The benchmark's cluster gives kube-controller-manager's client a request budget the rollouts do
# not exhaust (its default, 20 requests/s with a burst of 30, paces a 2-replica rollout's ~40
# writes in 50 ms steps, and that pacing, not either tool, then decides each round). Both tools
# meet the same controller. KCM_API_QPS=20 KCM_API_BURST=30 scripts/bench/k8s.sh measures with
# the defaults.
export KCM_API_QPS="${KCM_API_QPS:-500}" KCM_API_BURST="${KCM_API_BURST:-1000}"
# a reactor build (-am): the modules this one depends on come from this tree, never from ~/.m2
mvn -B -q -o -pl rollback-k8s -am test-compile dependency:build-classpath \
  -Dmdep.outputFile=target/bench-classpath.txt -Dmdep.includeScope=test
CP="rollback-k8s/target/test-classes:rollback-k8s/target/classes:$(cat rollback-k8s/target/bench-classpath.txt)"
MAIN=dev.rollback.k8s.bench.K8sUndoBenchmark
if [ "${1:-}" = "--timeline" ]; then
  MAIN=dev.rollback.k8s.bench.K8sRolloutTimeline
  shift
fi
exec java -Dorg.slf4j.simpleLogger.defaultLogLevel=warn -cp "$CP" "$MAIN" "$@"
