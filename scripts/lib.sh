#!/usr/bin/env bash
# Sourced by scripts/setup/*.sh.
# apt_install PKG...: installs the packages that are not installed yet, without starting services.
apt_install() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; created=1
  fi
  if [ ! -f /var/lib/apt/lists/.rollback-updated ] || [ -z "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null)" ]; then
    apt-get update -qq && touch /var/lib/apt/lists/.rollback-updated
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  [ $created -eq 1 ] && rm -f "$policy"
  return 0
}
