#!/usr/bin/env bash
# Sourced by scripts/setup/*.sh and scripts/k8s/build.sh.
#
# apt_install PKG...: installs the packages that are not installed yet (with their dependencies,
# without recommends) and otherwise leaves the machine as it found it:
# - no packaged service starts: /usr/sbin/policy-rc.d exits 101 while apt-get runs; afterwards the
#   machine's own policy-rc.d (if it had one) is put back as it was, or ours is removed. An EXIT
#   trap does it, so a failed or interrupted install cleans up too; the leftovers of a run killed
#   with SIGKILL are cleaned up by the next run before anything else;
# - services this install enabled for the next boot are disabled again (systemd units and SysV
#   links that were not enabled before it); services enabled before are left as they were;
# - the .deb files it downloaded are deleted from /var/cache/apt/archives.
# The package lists are refreshed (apt-get update) when this library last did it more than a day
# ago, and once more when an install fails on stale lists.
# Without root it installs nothing: it names what is missing on stderr (and appends the package
# names to the file $ROLLBACK_SETUP_NEEDS when that is set, for ./test.sh's summary) and fails.

ROLLBACK_POLICY_RC_D=/usr/sbin/policy-rc.d
ROLLBACK_POLICY_SAVED=/usr/sbin/policy-rc.d.rollback-saved
ROLLBACK_POLICY_MARK="# written by Rollback's scripts/lib.sh while it installs packages"
ROLLBACK_APT_MARKER=/var/lib/apt/lists/.rollback-updated

apt_install() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "not installed: ${missing[*]} (installing them needs root)" >&2
    if [ -n "${ROLLBACK_SETUP_NEEDS:-}" ]; then printf '%s\n' "${missing[@]}" >> "$ROLLBACK_SETUP_NEEDS"; fi
    return 1
  fi
  echo "installing: ${missing[*]}"
  _rollback_apt_install_as_root "${missing[@]}"
}

# The install itself, in a subshell so that its traps are its own and always run on its exit.
_rollback_apt_install_as_root() (
  set -uo pipefail
  # One install at a time: the policy-rc.d juggling below must not interleave with another run's.
  exec 8> /run/lock/rollback-apt.lock || exit 1
  flock 8 || exit 1
  _rollback_policy_recover || exit 1

  local before_units before_sysv before_debs
  before_units="$(_rollback_enabled_units)"
  before_sysv="$(_rollback_enabled_sysv)"
  before_debs="$(_rollback_cached_debs)"
  # shellcheck disable=SC2317  # invoked by the traps
  cleanup() {
    trap '' HUP INT TERM   # a second signal must not cut the cleanup short
    _rollback_policy_restore
    local deb
    comm -13 <(printf '%s\n' "$before_debs") <(_rollback_cached_debs) | while IFS= read -r deb; do
      [ -n "$deb" ] && rm -f "/var/cache/apt/archives/$deb"
    done
  }
  trap cleanup EXIT
  trap 'exit 129' HUP
  trap 'exit 130' INT
  trap 'exit 143' TERM
  _rollback_policy_install || exit 1

  local updated=0
  if ! _rollback_apt_lists_fresh; then
    _rollback_apt_update || exit 1
    updated=1
  fi
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; then
    [ $updated -eq 0 ] || exit 1
    echo "apt-get install failed: updating the package lists and trying once more" >&2
    _rollback_apt_update || exit 1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" || exit 1
  fi
  _rollback_disable_new_services "$before_units" "$before_sysv"
  return 0
)

_rollback_apt_lists_fresh() {
  [ -n "$(find "$ROLLBACK_APT_MARKER" -maxdepth 0 -mmin -1440 2>/dev/null)" ] &&
    compgen -G '/var/lib/apt/lists/*_Packages*' > /dev/null
}

_rollback_apt_update() {
  apt-get update -qq && touch "$ROLLBACK_APT_MARKER"
}

# Puts back what a run killed with SIGKILL left: its policy-rc.d, and the machine's own one it had
# moved aside.
_rollback_policy_recover() {
  local policy=$ROLLBACK_POLICY_RC_D saved=$ROLLBACK_POLICY_SAVED
  if grep -qxF "$ROLLBACK_POLICY_MARK" "$policy" 2>/dev/null || { [ ! -e "$policy" ] && [ ! -L "$policy" ]; }; then
    rm -f "$policy" || return 1
    if [ -e "$saved" ] || [ -L "$saved" ]; then
      echo "restoring $policy from $saved (left by an interrupted run)" >&2
      mv -f "$saved" "$policy" || return 1
    fi
  fi
  # A saved copy next to a policy-rc.d that is not ours: the machine's current one wins.
  rm -f "$saved"
}

# Moves the machine's policy-rc.d aside (mv keeps it exactly as it was) and puts ours in place.
_rollback_policy_install() {
  local policy=$ROLLBACK_POLICY_RC_D saved=$ROLLBACK_POLICY_SAVED
  if [ -e "$policy" ] || [ -L "$policy" ]; then mv -f "$policy" "$saved" || return 1; fi
  printf '#!/bin/sh\n%s\nexit 101\n' "$ROLLBACK_POLICY_MARK" > "$policy.rollback-new" &&
    chmod 755 "$policy.rollback-new" && mv -f "$policy.rollback-new" "$policy"
}

_rollback_policy_restore() {
  local policy=$ROLLBACK_POLICY_RC_D saved=$ROLLBACK_POLICY_SAVED
  rm -f "$policy" "$policy.rollback-new"
  if [ -e "$saved" ] || [ -L "$saved" ]; then mv -f "$saved" "$policy"; fi
}

# Units enabled for the next boot: the symlinks in /etc/systemd/system/*.wants and *.requires.
_rollback_enabled_units() {
  find /etc/systemd/system -mindepth 2 -maxdepth 2 -type l \( -path '*.wants/*' -o -path '*.requires/*' \) \
    -printf '%f\n' 2>/dev/null | sort -u
}

# SysV services started at boot: the S links in /etc/rc2.d to /etc/rc5.d.
_rollback_enabled_sysv() {
  find /etc/rc2.d /etc/rc3.d /etc/rc4.d /etc/rc5.d -mindepth 1 -maxdepth 1 -name 'S*' -printf '%f\n' 2>/dev/null |
    sed -E 's/^S[0-9]*//' | sort -u
}

_rollback_cached_debs() {
  find /var/cache/apt/archives -maxdepth 1 -type f -name '*.deb' -printf '%f\n' 2>/dev/null | sort
}

# _rollback_disable_new_services UNITS_BEFORE SYSV_BEFORE: disables what became enabled since.
_rollback_disable_new_services() {
  local unit name
  comm -13 <(printf '%s\n' "$1") <(_rollback_enabled_units) | while IFS= read -r unit; do
    [ -n "$unit" ] || continue
    echo "disabling $unit, which the install enabled for the next boot (it was not started)"
    if command -v systemctl > /dev/null; then
      systemctl --quiet disable "$unit" || echo "WARNING: systemctl disable $unit failed" >&2
    else
      deb-systemd-helper disable "$unit" || echo "WARNING: deb-systemd-helper disable $unit failed" >&2
    fi
  done
  # SysV links that systemctl did not already turn off. _SKIP_SYSTEMD_NATIVE=1 (as
  # systemd-sysv-install sets it) keeps update-rc.d to the links: it would otherwise also disable a
  # systemd unit of that name that was enabled before.
  comm -13 <(printf '%s\n' "$2") <(_rollback_enabled_sysv) | while IFS= read -r name; do
    [ -n "$name" ] || continue
    echo "disabling the SysV links of $name, which the install added for the next boot (it was not started)"
    _SKIP_SYSTEMD_NATIVE=1 update-rc.d "$name" disable > /dev/null 2>&1 ||
      echo "WARNING: update-rc.d $name disable failed" >&2
  done
}
