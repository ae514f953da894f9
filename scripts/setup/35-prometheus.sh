#!/usr/bin/env bash
# Prometheus and Alertmanager for rollback-core's detection tests (PrometheusIT, AlertmanagerIT):
# the tests start their own instances on 127.0.0.1 with their own config; the packaged services
# are neither started nor left enabled for the next boot (apt_install in scripts/lib.sh).
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"
apt_install prometheus prometheus-alertmanager
