#!/usr/bin/env bash
# rollback-lb real-component tests: HAProxy 2.6 and NGINX 1.22 from Debian.
# Installed without starting their packaged services and without leaving them enabled for the next
# boot (apt_install in scripts/lib.sh). The tests start their own instances on loopback with their
# own config and pid files, and stop exactly those; nothing here stops or starts anything.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
apt_install haproxy nginx-light

PATH="$PATH:/usr/sbin:/sbin"   # where Debian puts both, outside a non-root user's PATH
haproxy -v | sed -n 1p   # sed reads all of it: head would end the pipe early (SIGPIPE under pipefail)
nginx -v
