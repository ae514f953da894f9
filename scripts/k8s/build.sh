#!/usr/bin/env bash
# Builds kube-apiserver and kube-controller-manager from Debian's `kubernetes` source package
# (bookworm main, Kubernetes 1.20.2 fully vendored) and caches the two binaries in
#   ${ROLLBACK_CACHE:-~/.cache/rollback}/k8s-<debian-source-version>/bin/
# No kube-apiserver is packaged in Debian and nothing may be downloaded from outside the Debian,
# npm and Maven registries, so building from the Debian source is the only way to get one.
#
# Idempotent: when the cached binaries for the current version (and build recipe) exist it exits
# at once, without root. The current version is that of Debian's kubernetes-client package (kubectl,
# built from the same source), read from the binary package lists every machine has, so finding the
# cache needs no deb-src entry. Otherwise (as root) it adds a deb-src entry, installs the build
# dependencies without starting or enabling any service, builds in GOPATH mode like debian/rules
# does (~2.5 GB while building, and tens of minutes on 2 cores: scripts/k8s/README.md has the
# measurements), copies the binaries into the cache, deletes the source tree and Go cache, and
# removes the deb-src entry and its source index again (also when the build fails).
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

# The source index files apt keeps for the deb-src entries configured now.
source_indexes() {
  # shellcheck disable=SC2016  # $(FILENAME) is apt's placeholder, not a shell expansion
  apt-get indextargets --format '$(FILENAME)' 'Created-By: Sources' 2>/dev/null | sort -u
}

# Removes our deb-src entry and the source index files only it needed (an index another deb-src
# entry of the machine also uses stays). apt-get update would remove such files too; this does it
# without the network.
remove_deb_src() {
  [ -e "$SRC_LIST" ] || return 0
  local with without f
  with="$(source_indexes)"
  rm -f "$SRC_LIST"
  without="$(source_indexes)"
  comm -23 <(printf '%s\n' "$with") <(printf '%s\n' "$without") | while IFS= read -r f; do
    [ -n "$f" ] && rm -f "$f" "$f".*
  done
  log "removed $SRC_LIST and its source index"
}

# The version apt-get source would fetch (needs the deb-src entry's index).
source_version() {
  apt-cache showsrc --only-source kubernetes 2>/dev/null | awk '/^Version:/ { print $2 }' | sort -V | tail -n 1
}

# The candidate version of kubernetes-client (from the binary package lists).
client_version() {
  apt-cache policy kubernetes-client 2>/dev/null | awk '$1 == "Candidate:" && $2 != "(none)" { print $2 }'
}

# The source version kubernetes-client VERSION was built from ("Source: kubernetes (X)" after a
# binary-only rebuild, else the package's own version).
client_source_version() {
  apt-cache show "kubernetes-client=$1" 2>/dev/null |
    awk -v v="$1" '/^$/ { exit } $1 == "Source:" && $3 != "" { v = $3; gsub(/[()]/, "", v) } END { print v }'
}

# The cached bin dir for the current kubernetes-client: one whose VERSION records it (written at
# build time), else the one named after its source version, else (on a machine with deb-src
# entries of its own) the one named after the newest source version.
cached_for_client() {
  local client="$1" d v
  if [ -n "$client" ]; then
    for d in "$CACHE"/k8s-*/bin; do
      if cached_ok "$d" && grep -qxF "kubernetes-client=$client" "$d/VERSION"; then echo "$d"; return 0; fi
    done
    v="$(client_source_version "$client")"
    if [ -n "$v" ] && cached_ok "$CACHE/k8s-${v//:/_}/bin"; then
      # recorded, so that the next run finds it with one apt-cache call (each takes seconds)
      record_client "$CACHE/k8s-${v//:/_}/bin" "$client" 2> /dev/null || true
      echo "$CACHE/k8s-${v//:/_}/bin"
      return 0
    fi
  fi
  v="$(source_version || true)"
  [ -n "$v" ] && cached_ok "$CACHE/k8s-${v//:/_}/bin" && echo "$CACHE/k8s-${v//:/_}/bin"
}

# Records which kubernetes-client version BIN_DIR stands for, so the fast path finds it.
record_client() { # BIN_DIR CLIENT
  [ -n "$2" ] || return 0
  grep -qxF "kubernetes-client=$2" "$1/VERSION" || echo "kubernetes-client=$2" >> "$1/VERSION"
}

# Fast path, and usable without root: the binaries for the current version are cached.
CLIENT="$(client_version || true)"
if BIN_DIR="$(cached_for_client "$CLIENT")"; then
  # A deb-src entry left by an interrupted or older build goes (unless a build holds the lock).
  if [ -e "$SRC_LIST" ] && [ "$(id -u)" -eq 0 ]; then
    exec 9> "$CACHE/k8s-build.lock"
    if flock -n 9; then remove_deb_src; fi
  fi
  echo "$BIN_DIR"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "the kube binaries are not cached yet and building them needs root: it adds a \
deb-src entry for the build, installs golang-go dpkg-dev make rsync jq etcd-server \
golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev, and builds for tens of minutes \
with ~2.5 GB of disk (run ./test.sh as root)"
mkdir -p "$CACHE"
# One build at a time (two test runs starting together must not share a source tree).
exec 9> "$CACHE/k8s-build.lock"
flock 9

START=$SECONDS
SRC="$CACHE/k8s-src"
BIN_DIR=""
# Whatever happens, the deb-src entry goes again; a failed build must not leave ~2.5 GB behind
# (KEEP_K8S_SRC=1 keeps the source tree for debugging).
cleanup() {
  local rc=$?
  trap '' HUP INT TERM   # a second signal must not cut the cleanup short
  cd /
  remove_deb_src
  if [ $rc -ne 0 ] && [ "${KEEP_K8S_SRC:-0}" != 1 ]; then
    rm -rf "$SRC"
    [ -z "$BIN_DIR" ] || rm -rf "$BIN_DIR.tmp"
    log "build failed (exit $rc); removed $SRC"
  fi
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_deb_src || true
log "apt-get update (deb-src for bookworm main)"
if apt-get update -qq >&2; then
  touch /var/lib/apt/lists/.rollback-updated
else
  log "WARNING: apt-get update failed"
fi
VERSION="$(source_version || true)"
if [ -z "$VERSION" ]; then
  # No source index (e.g. the archive is unreachable): a previously built version still serves.
  cached="$(ls -d "$CACHE"/k8s-*/bin/kube-controller-manager 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$cached" ] && cached_ok "$(dirname "$cached")"; then
    log "WARNING: no 'kubernetes' source package known to apt; using the cached $(dirname "$cached")"
    record_client "$(dirname "$cached")" "$CLIENT"
    dirname "$cached"
    exit 0
  fi
  die "no 'kubernetes' source package found in bookworm main"
fi
BIN_DIR="$CACHE/k8s-${VERSION//:/_}/bin"
if cached_ok "$BIN_DIR"; then
  # built by a concurrent run while we waited for the lock, or for another kubernetes-client version
  record_client "$BIN_DIR" "$CLIENT"
  echo "$BIN_DIR"
  exit 0
fi
log "kubernetes source version $VERSION -> $BIN_DIR"

# Build dependencies (debian/control Build-Depends minus debhelper/bash-completion), the Go 1.18+
# compatible reflect2/json-iterator sources, and the etcd the tests run. rsync is required by the
# make rules. apt_install keeps etcd's (and rsync's) packaged service from starting or staying
# enabled. They stay installed (the README's footprint lists them): a rebuild needs them again.
apt_install golang-go dpkg-dev make rsync jq etcd-server \
  golang-github-modern-go-reflect2-dev golang-github-json-iterator-go-dev >&2

rm -rf "$SRC"
mkdir -p "$SRC"
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
export GOPATH="$PWD/.go" GOCACHE="$PWD/.gocache" CGO_ENABLED=0 GOPROXY=off GOFLAGS='' GO111MODULE=off
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
record_client "$BIN_DIR.tmp" "$CLIENT"
rm -rf "$BIN_DIR"
mv "$BIN_DIR.tmp" "$BIN_DIR"

cd "$CACHE"
rm -rf "$SRC"   # source tree, _output, GOPATH, GOCACHE and HOME (all inside it): ~2.5 GB
log "built $(head -n 1 "$BIN_DIR/VERSION") in $((SECONDS - START)) s total; source tree and Go cache removed"
echo "$BIN_DIR"
