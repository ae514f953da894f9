#!/usr/bin/env bash
# rollback-swarm real-component tests: Docker Engine 20.10 from Debian (docker.io, which brings
# containerd and runc) and busybox-static, whose binary the tests put in a minimal rootfs and import
# as the services' image (nothing is pulled).
# Installed without starting the packaged services (apt_install sets a policy-rc.d that exits 101),
# and the units this script newly installed are disabled, so nothing starts them at the next boot
# either: the tests start their own dockerd (own --data-root, --exec-root, --pidfile, a unix socket
# in a 0700 directory, no TCP listener, no iptables, no bridge) and stop it by its pid.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
docker_was_installed=0; installed docker.io && docker_was_installed=1
containerd_was_installed=0; installed containerd && containerd_was_installed=1

apt_install docker.io busybox-static iproute2

disable_units() {
  for unit in "$@"; do
    if command -v systemctl >/dev/null; then
      systemctl disable --quiet "$unit" 2>/dev/null || true
    fi
    if command -v deb-systemd-helper >/dev/null; then
      deb-systemd-helper disable "$unit" >/dev/null 2>&1 || true
    fi
  done
}
[ $docker_was_installed -eq 0 ] && disable_units docker.service docker.socket
[ $containerd_was_installed -eq 0 ] && disable_units containerd.service

# Nothing here stops a service: apt_install's policy-rc.d keeps the packaged ones from starting,
# and a dockerd or containerd running already was started by someone else, not by this project.
dockerd --version
dpkg-query -W -f='${Package} ${Version}\n' busybox-static
