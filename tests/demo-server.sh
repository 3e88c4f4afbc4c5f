# Sourced by tests/browser/run.sh and tests/api/schemathesis.sh:
# `start_demo_server BINARY` starts `veracity serve` on the demo corpus on a
# free loopback port, sets $url to it and stops the server on exit.
start_demo_server() {
  local bin="$1" root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  demo_log="$(mktemp)"
  "$bin" serve --addr 127.0.0.1:0 --corpus "$root/examples/demo-corpus.jsonl" 2> "$demo_log" &
  demo_pid=$!
  trap 'kill $demo_pid 2>/dev/null || true; wait $demo_pid 2>/dev/null || true; rm -f "$demo_log"' EXIT
  url=""
  for _ in $(seq 1 120); do
    url="$(grep -o 'http://127.0.0.1:[0-9]*' "$demo_log" | head -1 || true)"
    [ -n "$url" ] && return 0
    kill -0 $demo_pid 2>/dev/null || { cat "$demo_log"; echo "veracity serve ended before listening" >&2; exit 1; }
    sleep 1
  done
  cat "$demo_log"; echo "veracity serve did not start" >&2; exit 1
}
