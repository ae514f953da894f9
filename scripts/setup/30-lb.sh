#!/usr/bin/env bash
# rollback-lb real-component tests: HAProxy 2.6 and NGINX 1.22 from Debian.
# Installed without starting their packaged services (apt_install sets a policy-rc.d that exits 101);
# the tests start their own instances on loopback with their own config and stop them by pid.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"
apt_install haproxy nginx-light

# Debian's nginx package ships a default site on port 80 on all interfaces. Nothing must be left
# listening from the packaged service: stop it by its own pid file if something started it anyway.
for pidfile in /run/nginx.pid /run/haproxy.pid; do
  if [ -s "$pidfile" ]; then
    pid="$(cat "$pidfile")"
    if kill -0 "$pid" 2>/dev/null; then
      echo "stopping the packaged service started on install (pid $pid from $pidfile)"
      kill "$pid" || true
    fi
  fi
done
haproxy -v | sed -n 1p   # sed reads all of it: head would end the pipe early (SIGPIPE under pipefail)
nginx -v
