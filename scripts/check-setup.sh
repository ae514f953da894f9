#!/usr/bin/env bash
# Checks how the setup scripts leave a machine, without changing the machine: apt_install in
# scripts/lib.sh (policy-rc.d, services enabled by an install, downloaded .debs, stale lists,
# failures, signals, no root) and the deb-src cleanup of scripts/k8s/build.sh.
#
# Each case runs in a private mount namespace where /etc, /usr/sbin, /var/lib/apt/lists,
# /var/cache/apt/archives, /var/lib/systemd and /run/lock are throwaway overlays, with a fake
# apt-get on the PATH that "installs" packages the way their maintainer scripts would (it enables
# a systemd unit and SysV links and tries to start the service through invoke-rc.d). Nothing is
# installed or downloaded, and nothing outside the namespace changes.
#
# Usage, as root (it mounts): scripts/check-setup.sh [CASE...]; exit 0 when every case passed.
# Needs unshare (util-linux), overlayfs, systemctl or deb-systemd-helper, and update-rc.d.
# shellcheck disable=SC1090,SC2016,SC2034,SC2317  # lib.sh is sourced by variable; check() evals its conditions
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SELF="$ROOT/scripts/check-setup.sh"
CASES=(success fresh-lists no-policy fails retry-succeeds sigterm sigkill-then-next sigkill-no-policy
  already-enabled nonroot build-fails build-interrupted)

[ "$(id -u)" -eq 0 ] || { echo "run it as root: it mounts overlays in a private mount namespace" >&2; exit 2; }

fake_apt_get() {
  cat <<'EOF'
#!/bin/bash
# apt-get as the checks need it: logs every call to $CHECK_STATE/apt.log.
log="$CHECK_STATE/apt.log"
echo "apt-get $*" >> "$log"
case "$1" in
  indextargets) exec /usr/bin/apt-get "$@" ;;
  source) exit 100 ;;
  update)
    echo update >> "$log"
    if [ -n "${FAKE_UPDATE_SLEEP:-}" ]; then echo update-sleeping >> "$log"; sleep "$FAKE_UPDATE_SLEEP"; fi
    exit 0 ;;
esac
pkgs=()
for a in "$@"; do case "$a" in -*|install) ;; *) pkgs+=("$a") ;; esac; done
initscript() {
  printf '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: %s\n# Required-Start:\n# Required-Stop:\n# Default-Start: 2 3 4 5\n# Default-Stop: 0 1 6\n### END INIT INFO\nexit 0\n' "$1" > "/etc/init.d/$1"
  chmod +x "/etc/init.d/$1"
}
for p in "${pkgs[@]}"; do
  case "$p" in
    rbfake|rbfake2)   # a unit and an init script, enabled and started as a postinst does
      printf '[Unit]\nDescription=fake\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' > "/etc/systemd/system/$p.service"
      initscript "$p"
      DPKG_MAINTSCRIPT_PACKAGE=$p DPKG_MAINTSCRIPT_NAME=postinst deb-systemd-helper enable "$p.service" >> "$log" 2>&1
      update-rc.d "$p" defaults >> "$log" 2>&1
      invoke-rc.d "$p" start 2>&1 | sed 's/^/invoke: /' >> "$log" ;;
    rbsysv)           # an init script only
      initscript rbsysv
      update-rc.d rbsysv defaults >> "$log" 2>&1 ;;
  esac
  touch "/var/cache/apt/archives/${p}_1.0_all.deb"
done
if [ -n "${FAKE_APT_SLEEP:-}" ]; then echo sleeping >> "$log"; sleep "$FAKE_APT_SLEEP"; fi
if [ -n "${FAKE_APT_FAIL:-}" ]; then
  n=$(( $(cat "$CHECK_STATE/failcount" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$CHECK_STATE/failcount"
  if [ "$n" -le "$FAKE_APT_FAIL" ]; then echo "install fails ($n)" >> "$log"; exit 100; fi
fi
exit 0
EOF
}

if [ "${1:-}" != --inside ]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
  mkdir -p "$WORK/bin"
  fake_apt_get > "$WORK/bin/apt-get"
  chmod 755 "$WORK" "$WORK/bin" "$WORK/bin/apt-get"
  failed=()
  for c in "${@:-${CASES[@]}}"; do
    echo "== $c"
    unshare -m "$SELF" --inside "$WORK" "$c" || failed+=("$c")
  done
  [ ${#failed[@]} -eq 0 ] && { echo "all cases passed"; exit 0; }
  echo "FAILED: ${failed[*]}"
  exit 1
fi

# ------------------------------------------------------------------ one case, in the namespace
WORK="$2"
CASE="$3"
mount --make-rprivate / || exit 1
for d in /etc /usr/sbin /var/lib/apt/lists /var/cache/apt/archives /var/lib/systemd; do
  n="$WORK/ov-$CASE/$(tr / _ <<< "$d")"
  mkdir -p "$n.up" "$n.work"
  mount -t overlay overlay -o "lowerdir=$d,upperdir=$n.up,workdir=$n.work" "$d" || exit 1
done
mount -t tmpfs tmpfs /run/lock || exit 1
export PATH="$WORK/bin:$PATH" CHECK_STATE="$WORK/state-$CASE"
S="$CHECK_STATE"
mkdir -p "$S"
chmod 777 "$S"
LIB="$ROOT/scripts/lib.sh"
policy=/usr/sbin/policy-rc.d
status=0

ok() { echo "  ok: $*"; }
fail() { echo "  FAIL: $*"; status=1; }
check() { if eval "$2"; then ok "$1"; else fail "$1"; fi; }
policy_sum() { sha256sum "$policy" 2>/dev/null | cut -c1-16 || echo none; }
install_in_background() { # ENV... -- PACKAGES...
  ( set -euo pipefail; source "$LIB"; apt_install "$@" ) &
  bg=$!
  for _ in $(seq 100); do grep -q sleeping "$S/apt.log" 2>/dev/null && break; sleep 0.1; done
}
fresh_lists() { touch /var/lib/apt/lists/.rollback-updated; }
has_policy_as() { [ "$(policy_sum)" = "$1" ] && [ ! -e "$policy.rollback-saved" ]; }
enabled() { [ -e "/etc/systemd/system/multi-user.target.wants/$1.service" ]; }
sysv_started() { compgen -G "/etc/rc2.d/S??$1" > /dev/null; }
denied() { grep -q "invoke: invoke-rc.d: policy-rc.d denied execution of start" "$S/apt.log"; }

case "$CASE" in
  success)
    [ -e "$policy" ] || printf '#!/bin/sh\n# the machine'"'"'s own\nexit 101\n' > "$policy"
    before="$(policy_sum)"; inode="$(stat -c %i "$policy")"
    touch -d '2 days ago' /var/lib/apt/lists/.rollback-updated
    ( set -euo pipefail; source "$LIB"; apt_install rbfake coreutils ) || fail "apt_install failed"
    check "the machine's policy-rc.d is back, the same file" 'has_policy_as "$before" && [ "$(stat -c %i "$policy")" = "$inode" ]'
    check "the service did not start" denied
    check "lists a day old were updated" 'grep -qx update "$S/apt.log"'
    check "only the missing package was installed" 'grep -q -- "--no-install-recommends rbfake$" "$S/apt.log"'
    check "the unit the install enabled is disabled" '! enabled rbfake'
    check "its SysV links are disabled" '! sysv_started rbfake'
    check "the downloaded .deb is deleted" '[ ! -e /var/cache/apt/archives/rbfake_1.0_all.deb ]' ;;
  fresh-lists)
    fresh_lists
    ( set -euo pipefail; source "$LIB"; apt_install rbsysv ) || fail "apt_install failed"
    check "fresh lists are not updated" '! grep -qx update "$S/apt.log"'
    check "a SysV-only service is disabled" '! sysv_started rbsysv' ;;
  no-policy)
    rm -f "$policy"; fresh_lists
    ( set -euo pipefail; source "$LIB"; apt_install rbfake ) || fail "apt_install failed"
    check "the service did not start" denied
    check "the unit the install enabled is disabled" '! enabled rbfake'
    check "no policy-rc.d is left" '[ ! -e "$policy" ] && [ ! -e "$policy.rollback-saved" ]' ;;
  fails)
    before="$(policy_sum)"; fresh_lists
    ( set -euo pipefail; source "$LIB"; FAKE_APT_FAIL=5 apt_install rbfake; echo "not reached" >> "$S/apt.log" )
    check "apt_install fails" '! grep -q "not reached" "$S/apt.log"'
    check "policy-rc.d is as before" 'has_policy_as "$before"'
    check "it updated the lists and tried once more" '[ "$(grep -c "install fails" "$S/apt.log")" = 2 ] && grep -qx update "$S/apt.log"'
    check "the downloaded .deb is deleted" '[ ! -e /var/cache/apt/archives/rbfake_1.0_all.deb ]' ;;
  retry-succeeds)
    fresh_lists
    ( set -euo pipefail; source "$LIB"; FAKE_APT_FAIL=1 apt_install rbfake ) || fail "the retry did not succeed"
    check "the retry succeeded and the unit is disabled" '! enabled rbfake' ;;
  sigterm)
    before="$(policy_sum)"; fresh_lists
    FAKE_APT_SLEEP=5 install_in_background rbfake
    check "our policy-rc.d is in place during the install" 'grep -q "written by Rollback" "$policy"'
    pkill -TERM -P "$bg"; wait "$bg"
    check "policy-rc.d is as before after a TERM" 'has_policy_as "$before"' ;;
  sigkill-then-next)
    before="$(policy_sum)"; fresh_lists
    FAKE_APT_SLEEP=5 install_in_background rbfake
    kill -KILL $(pgrep -P "$bg") "$bg"; wait "$bg" 2> /dev/null
    ( set -euo pipefail; source "$LIB"; apt_install rbsysv ) || fail "the next run failed"
    check "the next run put the machine's policy-rc.d back" 'has_policy_as "$before"' ;;
  sigkill-no-policy)
    rm -f "$policy"; fresh_lists
    FAKE_APT_SLEEP=5 install_in_background rbfake
    kill -KILL $(pgrep -P "$bg") "$bg"; wait "$bg" 2> /dev/null
    ( set -euo pipefail; source "$LIB"; apt_install rbsysv ) || fail "the next run failed"
    check "the next run removed the policy-rc.d left behind" '[ ! -e "$policy" ] && [ ! -e "$policy.rollback-saved" ]' ;;
  already-enabled)
    printf '[Unit]\nDescription=fake\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n' > /etc/systemd/system/rbfake2.service
    DPKG_MAINTSCRIPT_PACKAGE=rbfake2 DPKG_MAINTSCRIPT_NAME=postinst deb-systemd-helper enable rbfake2.service > /dev/null 2>&1
    fresh_lists
    ( set -euo pipefail; source "$LIB"; apt_install rbfake2 ) || fail "apt_install failed"
    check "a unit enabled before the install stays enabled" 'enabled rbfake2' ;;
  nonroot)
    fresh_lists; needs="$S/needs"; : > "$needs"; chmod 666 "$needs"
    out="$(setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$PATH" ROLLBACK_SETUP_NEEDS="$needs" \
      bash -c "set -euo pipefail; source '$LIB'; apt_install coreutils rbfake rbsysv; echo not reached" 2>&1)"
    check "without root it fails before apt-get" '! grep -q "not reached" <<< "$out" && [ ! -s "$S/apt.log" ]'
    check "and names the missing packages" '[ "$(tr "\n" " " < "$needs")" = "rbfake rbsysv " ] && grep -q "rbfake rbsysv" <<< "$out"'
    check "with nothing missing it succeeds without root" \
      'setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "source '"'$LIB'"'; apt_install coreutils bash"' ;;
  build-fails)   # no cached binaries: the build starts, adds the deb-src entry and fails
    list=/etc/apt/sources.list.d/rollback-deb-src.sources; rm -f "$list"
    ROLLBACK_CACHE="$S/cache" bash "$ROOT/scripts/k8s/build.sh" > /dev/null 2>> "$S/build.err" && fail "the build succeeded"
    check "the deb-src entry was added" 'grep -q "apt-get update" "$S/apt.log"'
    check "and removed when the build failed" '[ ! -e "$list" ]'
    check "the source tree is removed" '[ ! -e "$S/cache/k8s-src" ]' ;;
  build-interrupted)
    list=/etc/apt/sources.list.d/rollback-deb-src.sources; rm -f "$list"
    ROLLBACK_CACHE="$S/cache" FAKE_UPDATE_SLEEP=5 bash "$ROOT/scripts/k8s/build.sh" > /dev/null 2>> "$S/build.err" &
    bg=$!
    for _ in $(seq 100); do grep -q update-sleeping "$S/apt.log" 2>/dev/null && break; sleep 0.1; done
    check "the deb-src entry is there during the build" '[ -e "$list" ]'
    kill -TERM "$bg"; wait "$bg"
    check "and removed after a TERM" '[ ! -e "$list" ]' ;;
  *) fail "no case $CASE" ;;
esac
exit $status
