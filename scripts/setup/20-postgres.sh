#!/usr/bin/env bash
# Setup for the rollback-jdbc real-component tests (run by ./test.sh before mvn verify):
# PostgreSQL 15 server binaries (initdb, pg_ctl, postgres under /usr/lib/postgresql/15/bin) and
# the client tools (psql, pg_dump, pg_restore) used by the benchmark. Installed without starting
# Debian's packaged cluster and without leaving postgresql.service enabled when the install enabled
# it (apt_install in scripts/lib.sh; the package still creates its stopped default cluster 15/main).
# The tests initdb their own cluster in a temp dir, as the `postgres` user, on a free loopback port
# with a password, and stop it with `pg_ctl stop -m fast`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=../lib.sh
source "$ROOT/scripts/lib.sh"

apt_install postgresql-15 postgresql-client-15
for b in initdb pg_ctl postgres; do
  [ -x "/usr/lib/postgresql/15/bin/$b" ] || { echo "PostgreSQL 15: /usr/lib/postgresql/15/bin/$b is missing" >&2; exit 1; }
done
# initdb refuses to run as root: the tests run it as `postgres`, which the package creates.
id postgres >/dev/null 2>&1 || { echo "the postgres user is missing (postgresql-common creates it)" >&2; exit 1; }
