#!/usr/bin/env bash
# Setup for the rollback-featureflags real-component tests (run by ./test.sh before mvn verify):
# PostgreSQL 15 server binaries (the tests initdb their own cluster as `postgres`, on a free
# loopback port with a password) and unleash-server 6.10.1 from npm, installed OUTSIDE the repo
# in ~/.cache/rollback/unleash-6.10.1 (7.x and later need Node 22; this machine has Node 20).
# The tests start Unleash with their own server.js on 127.0.0.1 and stop it by pid.
# npm's own cache is a temporary directory: nothing is left in ~/.npm.
# Idempotent: does nothing when everything is already there.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib.sh
source "$ROOT/scripts/lib.sh"

UNLEASH_VERSION=6.10.1
UNLEASH_HOME="${ROLLBACK_UNLEASH_HOME:-$HOME/.cache/rollback/unleash-$UNLEASH_VERSION}"

packages=(postgresql-15)
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
apt_install "${packages[@]}"
for b in initdb pg_ctl postgres; do
  [ -x "/usr/lib/postgresql/15/bin/$b" ] || { echo "PostgreSQL 15: /usr/lib/postgresql/15/bin/$b is missing" >&2; exit 1; }
done
id postgres >/dev/null 2>&1 || { echo "the postgres user is missing (postgresql-common creates it)" >&2; exit 1; }

installed() {
  [ -f "$UNLEASH_HOME/node_modules/unleash-server/package.json" ] &&
    grep -q "\"version\": \"$UNLEASH_VERSION\"" "$UNLEASH_HOME/node_modules/unleash-server/package.json"
}
if ! installed; then
  echo "installing unleash-server@$UNLEASH_VERSION into $UNLEASH_HOME"
  mkdir -p "$UNLEASH_HOME"
  [ -f "$UNLEASH_HOME/package.json" ] || echo '{"name":"rollback-unleash","private":true}' > "$UNLEASH_HOME/package.json"
  # npm's download cache and logs go to a temporary directory, deleted afterwards: nothing in ~/.npm.
  npm_cache="$(mktemp -d)"
  trap 'rm -rf "$npm_cache"' EXIT
  npm install --prefix "$UNLEASH_HOME" --cache "$npm_cache" --no-audit --no-fund --no-update-notifier \
    --loglevel=error "unleash-server@$UNLEASH_VERSION"
  installed || { echo "unleash-server@$UNLEASH_VERSION did not install into $UNLEASH_HOME" >&2; exit 1; }
fi
# The tests find it here (or through ROLLBACK_UNLEASH_HOME).
echo "unleash-server $UNLEASH_VERSION: $UNLEASH_HOME"
