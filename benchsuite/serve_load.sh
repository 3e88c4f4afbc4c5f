#!/usr/bin/env bash
# Load test of `veracity serve` on loopback with wrk: POST /v1/analyze of the
# demo article (demo corpus as evidence), fixed duration, 1 / 4 / 16
# connections, once with the default batching (--max-batch 16) and once one
# request at a time (--max-batch 1). Prints requests/s, p50 / p99 latency
# and the server's peak RSS per run.
# Usage: benchsuite/serve_load.sh [BINARY] [SECONDS per run, default 20]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$root/target/release/veracity}"
secs="${2:-20}"
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
lua="$(mktemp --suffix .lua)"
python3 - "$root/examples/demo-article.txt" > "$lua" <<'PY'
import json, sys
body = open(sys.argv[1]).read()
print('wrk.method = "POST"')
print('wrk.headers["Content-Type"] = "text/plain"')
print("wrk.body = " + json.dumps(body))
PY
echo "# veracity serve load test, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "# machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; flags: $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# binary: $bin ($("$bin" --version)); threads: ${VERACITY_THREADS:-all cores}; wrk $(wrk -v 2>&1 | head -1 | awk '{print $2}')"
echo "# request: POST /v1/analyze, examples/demo-article.txt as text/plain (14 sentences, 6 claims), evidence examples/demo-corpus.jsonl"
printf '%-10s %-6s %10s %10s %10s %10s %12s\n' max_batch conns "req/s" "p50_ms" "p99_ms" "errors" "peak_rss_MB"
for batch in 16 1; do
  for c in 1 4 16; do
    log="$(mktemp)"
    "$bin" serve --addr 127.0.0.1:0 --corpus "$root/examples/demo-corpus.jsonl" --max-batch "$batch" --queue 256 2> "$log" &
    pid=$!
    url=""
    for _ in $(seq 1 120); do
      url="$(grep -o 'http://127.0.0.1:[0-9]*' "$log" | head -1 || true)"; [ -n "$url" ] && break; sleep 0.5
    done
    # One request first: the model is loaded and warm.
    curl -s -o /dev/null -H 'content-type: text/plain' --data-binary @"$root/examples/demo-article.txt" "$url/v1/analyze"
    out="$(wrk -t "$(( c < 2 ? 1 : 2 ))" -c "$c" -d "${secs}s" --timeout 120s --latency -s "$lua" "$url/v1/analyze")"
    rss="$(awk '/VmHWM/ {printf "%.0f", $2/1024}' /proc/$pid/status)"
    kill $pid; wait $pid 2>/dev/null || true; rm -f "$log"
    rps="$(echo "$out" | awk '/Requests\/sec/ {print $2}')"
    to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /ms$/) { sub(/ms$/,"",v); print v } else if (v ~ /us$/) { sub(/us$/,"",v); print v/1000 } else { sub(/s$/,"",v); print v*1000 } }'; }
    p50="$(to_ms "$(echo "$out" | awk '$1=="50%" {print $2}')")"
    p99="$(to_ms "$(echo "$out" | awk '$1=="99%" {print $2}')")"
    errs="$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')"
    printf '%-10s %-6s %10s %10s %10s %10s %12s\n' "$batch" "$c" "$rps" "$p50" "$p99" "${errs:-0}" "$rss"
  done
done
rm -f "$lua"
