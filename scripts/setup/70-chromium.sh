#!/usr/bin/env bash
# Headless Chromium for the browser tests of the HTML reports (the post-mortem chart is rendered
# and measured in a real browser): Debian's chromium and its chromedriver, and a font for the text.
# Installed with apt_install (scripts/lib.sh): no packaged service starts and none is left enabled
# (these packages ship none). The tests start their own chromedriver on a loopback port, with
# Chromium headless in a temporary profile directory, and stop both by their pid.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(dirname "$0")/../lib.sh"

apt_install chromium chromium-driver fonts-dejavu-core

for b in /usr/bin/chromium /usr/bin/chromedriver; do
  [ -x "$b" ] || { echo "headless Chromium: $b is missing" >&2; exit 1; }
done
chromium --version 2>/dev/null | sed -n 1p   # sed reads all of it: head would end the pipe early
chromedriver --version | sed -n 1p
