#!/usr/bin/env bash
# A real Spark standalone cluster on loopback (a master and two workers of
# one core each, from the pyspark package), running distributed/veracity_spark.py
# over distributed/fixtures/articles.jsonl:
#   1. shared paths: the imported database equals a single-machine
#      `archive score` on the same input (every table, order aside; only
#      scored_at and first_seen, the write times, differ);
#   2. --resume after a part file was lost: only that partition runs again;
#   3. --ship (binary, model, indexes through SparkContext.addFile/addArchive),
#      the archive's cross-reference index built once and shipped as --index,
#      with faults: one task's veracity process is killed with SIGKILL
#      mid-partition, then a whole worker (its JVM and executor) is killed;
#      Spark retries, and every article is present exactly once, equal to a
#      single `archive score --cross-references` (config_hash aside: it
#      names the indexes by their paths, which differ on the executors);
#   4. clear errors for a missing binary, a missing input and a missing model;
#   5. Parquet input: the same articles as one Parquet dataset give the same
#      scores (their `input` is the dataset, their `line` the row).
#
# Usage: distributed/test_spark_cluster.sh        (VERACITY_BIN=path/to/veracity, default target/debug/veracity)
# Needs: Java 17, python3 with pip (pyspark is installed from PyPI if missing), the model
# (`veracity models fetch`). KEEP=1 keeps the temporary folder; ONLY="3 5" runs some scenarios.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VERACITY_BIN=$(realpath "${VERACITY_BIN:-target/debug/veracity}" 2>/dev/null || echo "${VERACITY_BIN:-target/debug/veracity}")
PY=${PYTHON:-python3}
DRIVER="$ROOT/distributed/veracity_spark.py"
CHECK="$ROOT/distributed/compare_results.py"
FIXTURE="$ROOT/distributed/fixtures/articles.jsonl"
EVIDENCE="$ROOT/distributed/fixtures/evidence.jsonl"
start_time=$(date +%s)
log() { echo "[$(( $(date +%s) - start_time ))s] $*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ -x "$VERACITY_BIN" ] || fail "no veracity binary at $VERACITY_BIN (cargo build, or set VERACITY_BIN)"
command -v java >/dev/null || fail "java not found (Spark needs Java 17)"
if "$VERACITY_BIN" models list | grep -E '^sentence-transformers/all-MiniLM-L6-v2 ' | grep -q 'not on this machine'; then
  fail "the model is not on this machine: $VERACITY_BIN models fetch"
fi
want=$(sed -n 's/^pyspark==//p' distributed/requirements.txt)
have=$("$PY" -c 'import pyspark; print(pyspark.__version__)' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  log "installing pyspark==$want (found: ${have:-none})"
  "$PY" -m pip install -q -r distributed/requirements.txt
fi
SPARK_HOME=$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME

WORK=$(mktemp -d /tmp/veracity-spark-test.XXXXXX)
PIDS=()
cleanup() {
  local rc=$?
  # Each daemon was started with setsid: its process group holds it and
  # what it started (executor JVMs).
  for pid in "${PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL -- "-$pid" 2>/dev/null || true; done
  # veracity processes of the test's tasks still running (by their recorded ids).
  for f in "$WORK"/out*/_attempts/*.pid; do
    [ -e "$f" ] && kill -KILL "$(head -1 "$f")" 2>/dev/null || true
  done
  if [ "${KEEP:-0}" = 1 ] || [ "$rc" != 0 ]; then echo "kept $WORK (logs: $WORK/*.log)"; else rm -rf "$WORK"; fi
  exit "$rc"
}
trap cleanup EXIT INT TERM

export SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=localhost
export SPARK_CONF_DIR="$WORK/conf" SPARK_LOG_DIR="$WORK/logs" SPARK_PID_DIR="$WORK" SPARK_DAEMON_MEMORY=256m
export SPARK_LOCAL_DIRS="$WORK/local" PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
mkdir -p "$SPARK_CONF_DIR" "$SPARK_LOG_DIR" "$SPARK_LOCAL_DIRS"
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
MPORT=$(free_port); MUI=$(free_port)
MASTER="spark://127.0.0.1:$MPORT"

log "starting a master on $MASTER and two workers (1 core, 1 GB each)"
setsid "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master \
  --host 127.0.0.1 --port "$MPORT" --webui-port "$MUI" >"$WORK/master.log" 2>&1 &
PIDS+=($!)
WORKER_PIDS=()
for i in 1 2; do
  setsid "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker \
    --host 127.0.0.1 --port "$(free_port)" --webui-port "$(free_port)" --cores 1 --memory 1g \
    --work-dir "$WORK/worker$i" "$MASTER" >"$WORK/worker$i.log" 2>&1 &
  PIDS+=($!); WORKER_PIDS+=($!)
done
alive_workers() {
  "$PY" -c 'import json, sys, urllib.request
try: print(json.load(urllib.request.urlopen(sys.argv[1], timeout=2)).get("aliveworkers", 0))
except Exception: print(0)' "http://127.0.0.1:$MUI/json/"
}
for _ in $(seq 120); do [ "$(alive_workers)" = 2 ] && break; sleep 1; done
[ "$(alive_workers)" = 2 ] || { tail -20 "$WORK"/*.log; fail "the cluster did not come up with two workers"; }
log "cluster up: 2 workers alive"

CONF=(--master "$MASTER"
  --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1
  --conf spark.executor.memory=512m --conf spark.executor.cores=1 --conf spark.cores.max=2
  --conf spark.task.maxFailures=4 --conf spark.ui.enabled=false
  --conf spark.local.dir="$SPARK_LOCAL_DIRS" --conf spark.network.timeout=60s)
# The driver's full log goes to $WORK/driver-N.log; its summary lines are shown.
runs=0
run_driver() {
  runs=$((runs + 1))
  local rc=0
  "$PY" "$DRIVER" score "${CONF[@]}" "$@" >"$WORK/driver-$runs.log" 2>&1 || rc=$?
  grep -oE '\{"partitions".*|^\+ .*|^imported.*|^error.*|Lost executor.*|veracity was killed by signal.*' "$WORK/driver-$runs.log" | cut -c1-300 | sort -u || true
  [ "$rc" = 0 ] || { tail -40 "$WORK/driver-$runs.log"; fail "driver run $runs exited with $rc"; }
}

log "index of the fixture's evidence; the single-machine run"
"$VERACITY_BIN" index add --index "$WORK/evidence" "$EVIDENCE" >"$WORK/index.log" 2>&1
"$VERACITY_BIN" --threads 2 archive score --db "$WORK/single.sqlite" --index "$WORK/evidence" "$FIXTURE" \
  >"$WORK/single.log" 2>&1 || fail "single-machine run: $(tail -3 "$WORK/single.log")"
tail -1 "$WORK/single.log"

# ONLY="3 5" runs some scenarios (2 needs 1).
want() { [ -z "${ONLY:-}" ] || [[ " $ONLY " == *" $1 "* ]]; }
passed=0

if want 1; then
log "scenario 1: shared paths, 6 partitions on the two workers"
run_driver --veracity "$VERACITY_BIN" --index "$WORK/evidence" --partitions 6 \
  --output "$WORK/out1" --import-db "$WORK/dist1.sqlite" "$FIXTURE"
[ -e "$WORK/out1/_SUCCESS" ] || fail "scenario 1 did not finish"
"$PY" "$CHECK" same "$VERACITY_BIN" "$WORK/single.sqlite" "$WORK/dist1.sqlite" || fail "scenario 1: databases differ"
"$PY" "$CHECK" once "$WORK/out1" "$WORK/single.sqlite" "$VERACITY_BIN" || fail "scenario 1: not exactly once"

passed=$((passed + 1))
fi

if want 2; then
log "scenario 2: a lost part file, --resume scores only that partition"
rm "$WORK/out1/part-00002.jsonl"
cp "$WORK/out1/part-00004.jsonl" "$WORK/part4.before"
run_driver --veracity "$VERACITY_BIN" --index "$WORK/evidence" --partitions 6 --resume \
  --output "$WORK/out1" --import-db "$WORK/dist1b.sqlite" "$FIXTURE" >/dev/null
cmp -s "$WORK/out1/part-00004.jsonl" "$WORK/part4.before" || fail "scenario 2: a finished partition was rewritten"
skipped=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["skipped_partitions"])' "$WORK/out1/_stats.json")
[ "$skipped" = 5 ] || fail "scenario 2: $skipped partitions skipped, want 5"
"$PY" "$CHECK" same "$VERACITY_BIN" "$WORK/single.sqlite" "$WORK/dist1b.sqlite" >/dev/null || fail "scenario 2: databases differ"
log "scenario 2: 5 partitions kept, 1 scored again, same database"
passed=$((passed + 1))
fi

if want 3; then

log "scenario 3: --ship with a cross-reference index, a veracity process killed mid-partition, then a worker killed"
cat >"$WORK/killer.py" <<'EOF'
"""Kill (1) the veracity process of one running task once it has written
output, then (2) the worker running another task; report what was killed."""
import glob, os, signal, sys, time
out, workers = sys.argv[1], [int(p) for p in sys.argv[2:]]
def running(exclude):
    for f in sorted(glob.glob(os.path.join(out, "_attempts", "*.pid"))):
        try:
            pid, tmp = open(f).read().split("\n")[:2]
            pid = int(pid)
            if pid in exclude or os.path.basename(f).split(".")[0] in exclude:
                continue
            os.kill(pid, 0)
            if os.path.getsize(tmp) > 0:  # it has written results: mid-partition
                return pid, os.path.basename(f)
        except (OSError, ValueError):
            continue
    return None
def worker_of(pid):
    while pid > 1:
        if pid in workers:
            return pid
        try:
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            return None
    return None
deadline = time.time() + 150
killed = []
while time.time() < deadline and len(killed) < 2:
    got = running({p for p, _ in killed} | {n.split(".")[0] for _, n in killed})
    if got:
        pid, name = got
        if not killed:
            os.kill(pid, signal.SIGKILL)
            print(f"killed veracity pid {pid} of {name}", flush=True)
            killed.append(got)
        else:
            w = worker_of(pid)
            if w:
                os.killpg(w, signal.SIGKILL)  # the worker JVM and its executor
                print(f"killed worker {w} (process group) running {name}", flush=True)
                killed.append(got)
    time.sleep(0.05)
sys.exit(0 if len(killed) == 2 else 1)
EOF
# Cross-references, distributed: the archive's cross-reference index built
# once (veracity_spark.py xref) and shipped as one more --index gives what a
# single `archive score --cross-references` gives.
"$VERACITY_BIN" --threads 2 archive score --db "$WORK/single-xref.sqlite" --index "$WORK/evidence" \
  --cross-references "$FIXTURE" >"$WORK/single-xref.log" 2>&1 || fail "single-machine xref run: $(tail -3 "$WORK/single-xref.log")"
"$PY" "$DRIVER" xref --veracity "$VERACITY_BIN" --index "$WORK/xref" "$FIXTURE" >"$WORK/xref.log" 2>&1 \
  || fail "xref index: $(tail -3 "$WORK/xref.log")"
mkdir -p "$WORK/out2/_attempts"
"$PY" "$WORK/killer.py" "$WORK/out2" "${WORKER_PIDS[@]}" >"$WORK/killer.log" 2>&1 &
KILLER=$!
run_driver --ship --veracity "$VERACITY_BIN" --index "$WORK/evidence" --index "$WORK/xref" --partitions 8 --batch 1 \
  --output "$WORK/out2" --import-db "$WORK/dist2.sqlite" "$FIXTURE"
wait "$KILLER" || { cat "$WORK/killer.log"; fail "scenario 3: the faults were not injected (job too quick?)"; }
cat "$WORK/killer.log"
[ -e "$WORK/out2/_SUCCESS" ] || fail "scenario 3 did not finish"
retried=$("$PY" -c 'import json,sys
st = json.load(open(sys.argv[1]))["partitions"]
att = [s.get("attempt", "0.0.0").split(".") for s in st]  # stage.attemptNumber.taskAttemptId
print(sum(1 for a in att if len(a) == 3 and (int(a[1]) > 0 or int(a[0]) > 1)))' "$WORK/out2/_stats.json")
[ "$retried" -ge 1 ] || fail "scenario 3: no partition shows a retried attempt"
"$PY" "$CHECK" once "$WORK/out2" "$WORK/single-xref.sqlite" "$VERACITY_BIN" || fail "scenario 3: not exactly once"
"$PY" "$CHECK" same "$VERACITY_BIN" "$WORK/single-xref.sqlite" "$WORK/dist2.sqlite" --ignore articles.config_hash \
  || fail "scenario 3: databases differ"
log "scenario 3: $retried partition(s) finished on a retried attempt"
passed=$((passed + 1))
fi

if want 4; then

log "scenario 4: clear errors before the cluster is asked"
set +e
msg=$("$PY" "$DRIVER" score --veracity "$WORK/no-such-veracity" --output "$WORK/out3" "$FIXTURE" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "veracity binary not found" <<<"$msg" || fail "missing binary: rc $rc: $msg"
msg=$("$PY" "$DRIVER" score --veracity "$VERACITY_BIN" --output "$WORK/out3" "$WORK/no-such.jsonl" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "no such file" <<<"$msg" || fail "missing input: rc $rc: $msg"
msg=$("$PY" "$DRIVER" score --veracity "$VERACITY_BIN" --model-dir "$WORK" --output "$WORK/out3" "$FIXTURE" 2>&1); rc=$?
[ "$rc" = 2 ] && grep -q "holds no model" <<<"$msg" || fail "missing model: rc $rc: $msg"
set -e
passed=$((passed + 1))
fi

if want 5; then
log "scenario 5: Parquet input (the fixture's articles as one Parquet dataset, articles.parquet: the same outlet for records without one)"
"$PY" - "$FIXTURE" "$WORK/articles.parquet" >"$WORK/parquet.log" 2>&1 <<'EOF'
import json, sys
from pyspark.sql import Row, SparkSession
keys = ["id", "source", "published", "url", "title", "text"]
rows = []
for line in open(sys.argv[1], encoding="utf-8"):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    if "text" in r:
        rows.append(Row(**{k: r.get(k) for k in keys}))
spark = SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false").getOrCreate()
spark.createDataFrame(rows).coalesce(1).write.parquet(sys.argv[2])
spark.stop()
EOF
run_driver --veracity "$VERACITY_BIN" --index "$WORK/evidence" --partitions 3 \
  --output "$WORK/out5" --import-db "$WORK/dist5.sqlite" "$WORK/articles.parquet"
"$PY" - "$VERACITY_BIN" "$WORK/dist5.sqlite" "$WORK/single.sqlite" "$WORK/articles.parquet" <<'EOF' || fail "scenario 5: Parquet results differ"
import json, subprocess, sys
v, dist, single, path = sys.argv[1:]
def rows(db):
    out = subprocess.run([v, "archive", "export", "--db", db, "--table", "articles", "--format", "jsonl"],
                         check=True, capture_output=True, text=True).stdout
    return {r["id"]: r for r in map(json.loads, out.splitlines())}
d, s = rows(dist), rows(single)
assert d.keys() == s.keys(), sorted(d.keys() ^ s.keys())
assert all(r["input"] == path for r in d.values())
same = ("propaganda_score", "claims", "corroborated", "contradicted", "insufficient_evidence", "source", "published")
bad = [i for i in d if any(d[i][k] != s[i][k] for k in same)]
assert not bad, bad
print(f"parquet: {len(d)} articles, the same scores and verdict counts as from the JSONL")
EOF
passed=$((passed + 1))
fi

log "all scenarios passed"
echo "$passed passed, 0 failed"
