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
log="$(mktemp)"
"$bin" serve --addr 127.0.0.1:0 --corpus "$root/examples/demo-corpus.jsonl" 2> "$log" &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT
url=""
for _ in $(seq 1 120); do
  url="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)"
  [ -n "$url" ] && break
  kill -0 $pid 2>/dev/null || { cat "$log"; echo "veracity serve ended before listening" >&2; exit 1; }
  sleep 1
done
[ -n "$url" ] || { cat "$log"; echo "veracity serve did not start" >&2; exit 1; }
cd "$here"
[ -d node_modules/playwright-core ] || npm ci --no-audit --no-fund
VERACITY_URL="$url" node analyze_page.mjs ${shot:+"$shot"}
