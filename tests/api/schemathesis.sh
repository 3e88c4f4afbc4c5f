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
. "$root/tests/demo-server.sh"
start_demo_server "$bin"
run() { schemathesis run "$url/openapi.json" --checks all --max-examples "$examples" --workers 1 --seed 20261202 "$@"; }
# Every operation but /v1/analyze, with every check.
run --exclude-path /v1/analyze
# /v1/analyze also takes raw text/plain and text/html bodies: any text is a
# valid article there, so "invalid" bodies (a boolean, a list) that the
# generator writes as text are rightly accepted. Its JSON body's mistakes
# are covered by tests/serve.rs.
run --include-path /v1/analyze --exclude-checks negative_data_rejection
