#!/usr/bin/env bash
# Runs every test of the project on a fresh Debian 12 machine (as root) or a prepared one.
# 1. Each scripts/setup/*.sh installs what one group of tests needs, only when it is missing
#    (Debian packages without starting their services, npm packages, cached builds under ~/.cache).
#    The servers themselves are started and stopped by the tests, on loopback, by pid.
# 2. mvn -B verify runs the unit, property and real-component tests of all modules.
set -euo pipefail
cd "$(dirname "$0")"
for setup in scripts/setup/*.sh; do
  [ -e "$setup" ] || continue
  echo "== setup: $setup"
  bash "$setup"
done
exec mvn -B verify "$@"
