#!/usr/bin/env bash
# Setup for the rollback-k8s real-component tests (run by ./test.sh before mvn verify):
# - etcd from Debian's etcd-server, installed without starting its packaged service;
# - kube-apiserver + kube-controller-manager built from Debian's `kubernetes` source package by
#   scripts/k8s/build.sh (about 5 minutes the first time, then cached under ~/.cache/rollback);
# - curl and openssl, used by scripts/k8s/cluster.sh.
# Writes the binaries' directory to ~/.cache/rollback/k8s-bin-dir (one line) for the Java tests
# and cluster.sh. The servers themselves are started and stopped by the tests (cluster.sh).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib.sh
source "$ROOT/scripts/lib.sh"

CACHE="${ROLLBACK_CACHE:-$HOME/.cache/rollback}"

etcd_was_installed=0
dpkg-query -W -f='${Status}' etcd-server 2>/dev/null | grep -q "install ok installed" && etcd_was_installed=1
apt_install etcd-server curl openssl
if [ $etcd_was_installed -eq 0 ] && command -v systemctl >/dev/null; then
  # The package enables etcd.service for the next boot: the tests run their own etcd instances.
  systemctl disable --quiet etcd.service 2>/dev/null || true
fi
bin_dir="$(bash "$ROOT/scripts/k8s/build.sh")"
[ -x "$bin_dir/kube-apiserver" ] && [ -x "$bin_dir/kube-controller-manager" ] ||
  { echo "scripts/k8s/build.sh did not produce the kube binaries in '$bin_dir'" >&2; exit 1; }

mkdir -p "$CACHE"
echo "$bin_dir" > "$CACHE/k8s-bin-dir.tmp"
mv "$CACHE/k8s-bin-dir.tmp" "$CACHE/k8s-bin-dir"
echo "kube binaries: $bin_dir ($(head -n 1 "$bin_dir/VERSION" 2>/dev/null || echo '?')); etcd: $(command -v etcd)"
