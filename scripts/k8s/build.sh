#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from Debian's `kubernetes` source package
# (bookworm main, Kubernetes 1.20.2 fully vendored) and caches the two binaries in
#   ${ROLLBACK_CACHE:-~/.cache/rollback}/k8s-<debian-source-version>/bin/
# No kube-apiserver is packaged in Debian and nothing may be downloaded from outside the Debian,
# npm and Maven registries, so building from the Debian source is the only way to get one.
#
# Idempotent: when the cached binaries for the current source version (and build recipe) exist
# it exits at once. Otherwise (as root) it adds a deb-src entry, installs the build dependencies
# without starting any service, builds in GOPATH mode like debian/rules does (~5 min on 2 idle
# cores, ~2.5 GB), copies the binaries into the cache and deletes the source tree and Go cache.
#
# One source change is needed: Kubernetes 1.20 vendors modern-go/reflect2 1.0.1, which is not
# compatible with Go >= 1.18 (bookworm has Go 1.19): kube-apiserver then dies at random with
# "fatal error: fault ... mapiterinit" while encoding JSON (seen here on the first few requests).
# The vendored reflect2 and json-iterator are replaced by reflect2 1.0.2 and json-iterator 1.1.12
# from Debian's golang-github-modern-go-reflect2-dev / golang-github-json-iterator-go-dev, the
# same pair upstream Kubernetes moved to for Go 1.18 support.
#
# stdout: exactly one line, the directory holding the binaries. Progress goes to stderr.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib.sh
source "$ROOT/scripts/lib.sh"

CACHE="${ROLLBACK_CACHE:-$HOME/.cache/rollback}"
SRC_LIST=/etc/apt/sources.list.d/rollback-deb-src.sources
# Recorded in bin/VERSION; a cached build made with another recipe is rebuilt.
RECIPE="gopath-make+debian-reflect2-jsoniter"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { echo "[k8s-build] $*" >&2; }
cached_ok() { # BIN_DIR
  [ -x "$1/kube-apiserver" ] && [ -x "$1/kube-controller-manager" ] && grep -qxF "recipe=$RECIPE" "$1/VERSION" 2>/dev/null
}
die() { log "ERROR: $*"; exit 1; }

# The URI of the Debian archive the machine already uses for bookworm (deb entries), so the
# deb-src entry goes to the same mirror. Falls back to deb.debian.org.
debian_uri() {
  local f uri=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    [ "$f" = "$SRC_LIST" ] && continue
    # deb822 stanzas: Types has deb, Suites has the word bookworm, Components has main.
    uri="$(awk '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && suites ~ /(^| )bookworm( |$)/ && comps ~ /(^| )main( |$)/ && enabled !~ /^no$/ && uris != "" && found == "") {
          split(uris, u, " "); found = u[1]
        }
        types = suites = comps = uris = enabled = ""
      }
      /^[ \t]*$/ { flush(); next }
      /^[ \t]*#/ { next }
      { key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, ""); val = $0 }
      key == "types" { types = val } key == "suites" { suites = val }
      key == "components" { comps = val } key == "uris" { uris = val } key == "enabled" { enabled = tolower(val) }
      END { flush(); print found }' "$f")"
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ] && [ -r /etc/apt/sources.list ]; then
    # one-line format: deb [options] URI bookworm main ...
    uri="$(sed -E 's/\[[^]]*\]//' /etc/apt/sources.list |
      awk '$1 == "deb" && $3 == "bookworm" { for (i = 4; i <= NF; i++) if ($i == "main") { print $2; exit } }')"
  fi
  echo "${uri:-http://deb.debian.org/debian}"
}

ensure_deb_src() {
  local want
  want="$(printf 'Types: deb-src\nURIs: %s\nSuites: bookworm\nComponents: main\nSigned-By: %s\n' "$(debian_uri)" "$KEYRING")"
  if [ ! -f "$SRC_LIST" ] || [ "$(cat "$SRC_LIST")" != "$want" ]; then
    log "writing $SRC_LIST"
    printf '%s\n' "$want" > "$SRC_LIST"
    return 0   # changed: apt lists must be refreshed
  fi
  return 1
}

# The version apt-get source would fetch (from the local apt lists; no network).
source_version() {
  apt-cache showsrc --only-source kubernetes 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

# Fast path, and usable without root: a cache dir for the current version already exists.
VERSION="$(source_version || true)"
if [ -n "$VERSION" ]; then
  BIN_DIR="$CACHE/k8s-${VERSION//:/_}/bin"
  if cached_ok "$BIN_DIR"; then
    echo "$BIN_DIR"
    exit 0
  fi
fi

[ "$(id -u)" -eq 0 ] || die "the kube binaries are not cached yet and building them needs root (apt)"
mkdir -p "$CACHE"
# One build at a time (two test runs starting together must not share a source tree).
exec 9> "$CACHE/k8s-build.lock"
flock 9

START=$SECONDS
changed=0
ensure_deb_src && changed=1
VERSION="$(source_version || true)"
if [ "$changed" -eq 1 ] || [ -z "$VERSION" ]; then
  log "apt-get update (deb-src for bookworm main)"
  if apt-get update -qq >&2; then
    touch /var/lib/apt/lists/.rollback-updated
  else
    log "WARNING: apt-get update failed"
  fi
  VERSION="$(source_version || true)"
fi
if [ -z "$VERSION" ]; then
  # No source index (e.g. the archive is unreachable): a previously built version still serves.
  cached="$(ls -d "$CACHE"/k8s-*/bin/kube-controller-manager 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$cached" ] && cached_ok "$(dirname "$cached")"; then
    log "WARNING: no 'kubernetes' source package known to apt; using the cached $(dirname "$cached")"
    dirname "$cached"
    exit 0
  fi
  die "no 'kubernetes' source package found in bookworm main"
fi
BIN_DIR="$CACHE/k8s-${VERSION//:/_}/bin"
if cached_ok "$BIN_DIR"; then
  echo "$BIN_DIR"   # built by a concurrent run while we waited for the lock
  exit 0
fi
log "kubernetes source version $VERSION -> $BIN_DIR"

# Build dependencies (debian/control Build-Depends minus debhelper/bash-completion), the Go 1.18+
# compatible reflect2/json-iterator sources, and the etcd the tests run. rsync is required by the
# make rules. policy-rc.d (exit 101) inside apt_install keeps etcd's packaged service from starting.
apt_install golang-go dpkg-dev make rsync jq etcd-server \
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev >&2

SRC="$CACHE/k8s-src"
rm -rf "$SRC"
mkdir -p "$SRC"
# A failed build must not leave ~2.5 GB behind (KEEP_K8S_SRC=1 keeps it for debugging).
trap 'rc=$?; if [ $rc -ne 0 ] && [ "${KEEP_K8S_SRC:-0}" != 1 ]; then cd /; rm -rf "$SRC" "$BIN_DIR.tmp"; log "build failed (exit $rc); removed $SRC"; fi' EXIT
cd "$SRC"
T0=$SECONDS
log "apt-get source kubernetes=$VERSION"
# (as root apt warns that the download is unsandboxed: harmless, the files are checked by hash)
if ! apt-get source -q --only-source "kubernetes=$VERSION" > "$SRC/apt-source.log" 2>&1; then
  cat "$SRC/apt-source.log" >&2
  die "apt-get source kubernetes=$VERSION failed"
fi
TREE="$(find "$SRC" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n 1)"
[ -n "$TREE" ] && [ -f "$TREE/Makefile" ] || die "apt-get source did not unpack a kubernetes tree into $SRC"
log "source fetched and unpacked in $((SECONDS - T0)) s"

cd "$TREE"
# Go >= 1.18 compatibility (see the header): swap in Debian's reflect2 1.0.2 / json-iterator 1.1.12.
for pkg in github.com/modern-go/reflect2 github.com/json-iterator/go; do
  from="/usr/share/gocode/src/$pkg"
  [ -d "$from" ] && [ -d "vendor/$pkg" ] || die "cannot replace vendor/$pkg with $from"
  rm -f "vendor/$pkg"/*.go
  find "$from" -maxdepth 1 -type f -name '*.go' ! -name '*_test.go' -exec cp {} "vendor/$pkg/" \;
  log "vendor/$pkg replaced by $(dpkg-query -S "$from" 2>/dev/null | cut -d: -f1 | head -n 1) sources"
done
# GOPATH mode, as debian/rules does it: module mode does not work with this vendored tree.
export GOPATH="$PWD/.go" GOCACHE="$PWD/.gocache" CGO_ENABLED=0 GOPROXY=off GOFLAGS= GO111MODULE=off
export PATH="/usr/lib/go/bin:$PATH"
mkdir -p .go/src/k8s.io
[ -L .go/src/k8s.io/kubernetes ] || ln -s ../../.. .go/src/k8s.io/kubernetes
T0=$SECONDS
log "make WHAT=\"cmd/kube-apiserver cmd/kube-controller-manager\" ($(go version))"
# HOME inside the tree too (as debian/rules does with HOME=/home/user): no stray caches elsewhere.
mkdir -p "$SRC/home"
HOME="$SRC/home" make WHAT="cmd/kube-apiserver cmd/kube-controller-manager" >&2
log "make finished in $((SECONDS - T0)) s"

for b in kube-apiserver kube-controller-manager; do
  [ -x "_output/bin/$b" ] || die "_output/bin/$b was not built"
done
# Install atomically: a half-copied bin dir must never look complete.
rm -rf "$BIN_DIR.tmp"
mkdir -p "$BIN_DIR.tmp"
cp -L _output/bin/kube-apiserver _output/bin/kube-controller-manager "$BIN_DIR.tmp/"
AWS_EC2_METADATA_DISABLED=true "$BIN_DIR.tmp/kube-apiserver" --version > "$BIN_DIR.tmp/VERSION"
echo "debian-source=$VERSION" >> "$BIN_DIR.tmp/VERSION"
echo "recipe=$RECIPE" >> "$BIN_DIR.tmp/VERSION"
rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"

cd "$CACHE"
rm -rf "$SRC"   # source tree, _output, GOPATH, GOCACHE and HOME (all inside it): ~2.5 GB
log "built $(head -n 1 "$BIN_DIR/VERSION") in $((SECONDS - START)) s total; source tree and Go cache removed"
echo "$BIN_DIR"
