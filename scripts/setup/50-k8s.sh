#!/usr/bin/env bash
# Setup for the rollback-k8s real-component tests (run by ./test.sh before mvn verify):
# - etcd from Debian's etcd-server, installed without starting its packaged service or leaving it
#   enabled for the next boot (apt_install in scripts/lib.sh);
# - kube-apiserver + kube-controller-manager built from Debian's `kubernetes` source package by
#   scripts/k8s/build.sh (tens of minutes the first time, see scripts/k8s/README.md; then cached
#   under ~/.cache/rollback);
# - curl and openssl, used by scripts/k8s/cluster.sh.
# Writes the binaries' directory to ~/.cache/rollback/k8s-bin-dir (one line) for the Java tests
# and cluster.sh. The servers themselves are started and stopped by the tests (cluster.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib.sh
source "$ROOT/scripts/lib.sh"

CACHE="${ROLLBACK_CACHE:-$HOME/.cache/rollback}"

if ! apt_install etcd-server curl openssl; then
  # Without root, still say whether the kube binaries need building too (build.sh explains why).
  [ "$(id -u)" -eq 0 ] || bash "$ROOT/scripts/k8s/build.sh" > /dev/null || true
  exit 1
fi
bin_dir="$(bash "$ROOT/scripts/k8s/build.sh")"
[ -x "$bin_dir/kube-apiserver" ] && [ -x "$bin_dir/kube-controller-manager" ] ||
  { echo "scripts/k8s/build.sh did not produce the kube binaries in '$bin_dir'" >&2; exit 1; }

mkdir -p "$CACHE"
echo "$bin_dir" > "$CACHE/k8s-bin-dir.tmp"
mv "$CACHE/k8s-bin-dir.tmp" "$CACHE/k8s-bin-dir"
echo "kube binaries: $bin_dir ($(head -n 1 "$bin_dir/VERSION" 2>/dev/null || echo '?')); etcd: $(command -v etcd)"
