#!/usr/bin/env bash
# Runs every test of the project on a Debian 12 machine: ./test.sh [more mvn arguments].
# 1. Each scripts/setup/*.sh installs what one group of tests needs, only when it is missing:
#    Debian packages (their services neither started nor left enabled for the next boot),
#    unleash-server from npm and the kube binaries it builds, both cached under ~/.cache/rollback.
#    README.md ("What ./test.sh installs") lists all of it. The servers themselves are started and
#    stopped by the tests, on loopback, by pid.
# 2. mvn -B verify runs the unit, property and real-component tests of all modules.
# Installing needs root. Run as another user, it goes on when everything is already installed;
# otherwise it lists what is missing and stops before Maven.
set -euo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" -eq 0 ]; then
  for setup in scripts/setup/*.sh; do
    [ -e "$setup" ] || continue
    echo "== setup: $setup"
    bash "$setup"
  done
else
  needs="$(mktemp)"
  trap 'rm -f "$needs"' EXIT
  failed=()
  for setup in scripts/setup/*.sh; do
    [ -e "$setup" ] || continue
    echo "== setup: $setup"
    ROLLBACK_SETUP_NEEDS="$needs" bash "$setup" || failed+=("$setup")
  done
  if [ ${#failed[@]} -gt 0 ]; then
    {
      echo
      echo "./test.sh: the tests need things that are not installed, and installing them needs root."
      echo "Run ./test.sh as root (it installs only what is missing; README.md lists what that is)."
      if [ -s "$needs" ]; then
        echo "Debian packages missing: $(sort -u "$needs" | tr '\n' ' ')"
        echo "(a plain apt-get install of them would start their services; ./test.sh does not)"
      fi
      echo "Setup scripts that stopped (their messages are above): ${failed[*]}"
    } >&2
    exit 1
  fi
  rm -f "$needs"
  trap - EXIT
  # haproxy and nginx live in /usr/sbin, which is not on a non-root user's PATH on Debian.
  export PATH="$PATH:/usr/sbin:/sbin"
fi
exec mvn -B verify "$@"
