#!/usr/bin/env bash
# Starts `veracity serve` on the demo corpus on a free loopback port, runs the
# browser test against it (analyze_page.mjs), and stops the server.
# Needs Debian's chromium (/usr/bin/chromium) and `npm ci` here.
# Usage: tests/browser/run.sh [BINARY] [SCREENSHOT.png]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/veracity}"
shot="${2:-}"
. "$root/tests/demo-server.sh"
start_demo_server "$bin"
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
VERACITY_URL="$url" node analyze_page.mjs ${shot:+"$shot"}
