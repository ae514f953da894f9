#!/usr/bin/env bash
# Start-up benchmark of the rollback command (not part of mvn verify): the wall time of
# `rollback validate` and `rollback plan` on a 200-step plan, JVM start included, next to a bare
# `java -version` measured in the same run; the difference is what the command costs.
# Usage: scripts/bench/cli.sh [runs=15]
# Builds rollback-cli through bin/rollback (and its class-data-sharing archive) when needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS="${1:-15}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$ROOT/bin/rollback" --version >/dev/null

# 40 stages of 5 steps: a kill switch, load-balancer weights, a wait, an HTTP check and a gate
{
  printf 'apiVersion: rollback.dev/v1alpha1\nkind: RollbackPlan\nmetadata: {name: bench-200}\nspec:\n'
  printf '  budget: 4h\n  targets:\n    lb: {type: haproxy, socket: /run/bench/admin.sock}\n    flags: {type: flagd, file: flags.json}\n'
  printf '  checks:\n    health: {type: http, url: "http://127.0.0.1:8080/health"}\n'
  printf '  triggers:\n    - {rule: consecutiveFailures, signal: {check: health, every: 2s}, n: 3}\n'
  printf '  stages:\n'
  for i in $(seq 1 40); do
    printf '    - name: stage %d\n      steps:\n' "$i"
    printf '        - {type: flag.killSwitch, params: {target: flags, flag: flag-%d}}\n' "$i"
    printf '        - {type: lb.weights, params: {target: lb, backend: app-%d, weights: {blue: 100, green: 0}}, timeout: 20s, retries: 2}\n' "$i"
    printf '        - {type: wait, params: {duration: 1s}}\n'
    printf '        - {type: http.check, params: {url: "http://127.0.0.1:8080/health/%d", within: 30s}}\n' "$i"
    printf '        - {type: gate, params: {gate: gate-%d, timeout: 5m}}\n' "$i"
  done
  printf '  verifiedBy: [health]\n'
} > plan-200.yaml
steps=$(grep -c '        - {type' plan-200.yaml)

# wall and CPU (user + system) milliseconds of one run, from bash's own timer
ms() {
  local TIMEFORMAT='%3R %3U %3S' t
  t=$( { time "$@" >/dev/null 2>&1; } 2>&1 ) || true
  awk '{printf "%d %d\n", $1 * 1000, ($2 + $3) * 1000}' <<<"$t"
}
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}'; }

declare -A W C
for _ in $(seq 1 "$RUNS"); do
  # interleaved, so that a burst of load on the machine hits all three alike
  for name in java validate plan; do
    case $name in
      java) r=$(ms java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -Xshare:auto -version) ;;
      *) r=$(ms "$ROOT/bin/rollback" "$name" plan-200.yaml) ;;
    esac
    W[$name]+="${r% *} "
    C[$name]+="${r#* } "
  done
done
med() { tr ' ' '\n' <<<"$1" | grep . | median; }
jw=$(med "${W[java]}"); jc=$(med "${C[java]}")
echo "plan: $steps steps; $RUNS runs each, medians; wall time includes the JVM's start"
printf '%-18s wall %5d ms  cpu %5d ms\n' "java -version" "$jw" "$jc"
for name in validate plan; do
  w=$(med "${W[$name]}"); c=$(med "${C[$name]}")
  printf '%-18s wall %5d ms  cpu %5d ms   overhead: wall %d ms, cpu %d ms\n' "rollback $name" "$w" "$c" $((w - jw)) $((c - jc))
done
echo "load: $(uptime | sed 's/.*load average: //')"
