#!/usr/bin/env bash
# Checks the HTTP API of `veracity serve` against its own OpenAPI spec
# (/openapi.json) with schemathesis: generated valid and invalid requests,
# every response checked for a 5xx, status codes, content types and bodies
# that match the spec. Starts the server on the demo corpus on a free port.
# Usage: tests/api/schemathesis.sh [BINARY] [EXAMPLES per operation, default 20]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/debug/veracity}"
examples="${2:-20}"
command -v schemathesis >/dev/null || python3 -m pip install -q -r "$here/requirements.txt"
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
run() { schemathesis run "$url/openapi.json" --checks all --max-examples "$examples" --workers 1 --seed 20261202 "$@"; }
# Every operation but /v1/analyze, with every check.
run --exclude-path /v1/analyze
# /v1/analyze also takes raw text/plain and text/html bodies: any text is a
# valid article there, so "invalid" bodies (a boolean, a list) that the
# generator writes as text are rightly accepted. Its JSON body's mistakes
# are covered by tests/serve.rs.
run --include-path /v1/analyze --exclude-checks negative_data_rejection
