#!/usr/bin/env bash
# The BBC news archive (category as outlet) scored by one `archive score`
# process against the same binary on a local two-worker Spark standalone
# cluster (distributed/veracity_spark.py; 1 core per worker, veracity
# --threads 1 per task), on the same machine and input: the engine's
# overhead as a ratio of wall times. Two configurations:
#   A. --index wiki-dense (the Wikipedia sample, stored vectors): the same
#      work on both sides, so the ratio is Spark's overhead alone;
#   B. cross-references: single `archive score --cross-references` against
#      `veracity_spark.py xref` (the archive's cross-reference index, built
#      once) + the cluster with that index shipped read-only as --index.
# Then a projection for a 10-million-article archive on N workers.
#
#   benchsuite/scale_out_bbc.sh [DATA_DIR] [WORK_DIR]     (N=300 articles, V=binary)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA=$(realpath "${1:-../shared/data}")
WORK=${2:-/tmp/veracity-scale-out-bench}
V=$(realpath "${V:-target/release/veracity}")
N=${N:-300}
PARTS=${PARTS:-4}
PY=${PYTHON:-python3}
BBC="$DATA/bbc-news/bbc-news.jsonl"
WIKI="$DATA/wikipedia-sample/wikipedia.jsonl"
[ -f "$BBC" ] || { echo "no BBC archive at $BBC" >&2; exit 1; }
"$PY" -c 'import pyspark' 2>/dev/null || "$PY" -m pip install -q -r distributed/requirements.txt
SPARK_HOME=$("$PY" -c 'import os, pyspark; print(os.path.dirname(pyspark.__file__))')
export SPARK_HOME SPARK_LOCAL_IP=127.0.0.1 SPARK_LOCAL_HOSTNAME=localhost SPARK_DAEMON_MEMORY=256m
# REUSE_INDEX=1 keeps WORK/wiki-dense from an earlier run (it takes minutes to build).
if [ "${REUSE_INDEX:-0}" = 1 ] && [ -d "$WORK/wiki-dense" ]; then
  find "$WORK" -mindepth 1 -maxdepth 1 ! -name wiki-dense -exec rm -rf {} +
else
  rm -rf "$WORK"
fi
mkdir -p "$WORK/conf" "$WORK/local"
export SPARK_CONF_DIR="$WORK/conf" SPARK_LOG_DIR="$WORK" SPARK_LOCAL_DIRS="$WORK/local" PYSPARK_PYTHON="$PY"

echo "# scale-out benchmark: archive score on one process vs a local two-worker Spark cluster, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GB," \
  "flags: $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "binary: $V ($("$V" --version), $(stat -c %s "$V") bytes, sha256 $(sha256sum "$V" | cut -c1-16), file date $(date -u -r "$V" +%Y-%m-%dT%H:%MZ); repo HEAD $(git rev-parse --short HEAD))"
echo "engine: pyspark $("$PY" -c 'import pyspark; print(pyspark.__version__)'), $(java -version 2>&1 | head -1), python $("$PY" -c 'import platform; print(platform.python_version())')"
echo "input: first $N articles of bbc-news.jsonl, --source-field category; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
head -"$N" "$BBC" > "$WORK/bbc.jsonl"
timed() { /usr/bin/time -f "wall %e s, peak RSS %M KB" "$@" 2>&1 | grep -v -E '^warning|^\S+:[0-9]+: ' | tail -2; }

echo "## evidence: index add --dense of the Wikipedia sample (not timed against anything)"
if [ -d "$WORK/wiki-dense" ]; then
  echo "reused from an earlier run of this script (REUSE_INDEX=1): $("$V" index stats --index "$WORK/wiki-dense" 2>&1 | tr '\n' ' ' | cut -c1-300)"
else
  timed "$V" index add --index "$WORK/wiki-dense" --dense --kind reference --source wikipedia --text-field eng_Latn "$WIKI"
fi
echo "index size: $(du -sh "$WORK/wiki-dense" | cut -f1)"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done; sleep 1;
            for p in "${PIDS[@]}"; do kill -KILL -- "-$p" 2>/dev/null || true; done; }
trap cleanup EXIT
MPORT=$(free_port); MUI=$(free_port); MASTER="spark://127.0.0.1:$MPORT"
setsid "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.master.Master --host 127.0.0.1 \
  --port "$MPORT" --webui-port "$MUI" >"$WORK/master.log" 2>&1 & PIDS+=($!)
for i in 1 2; do
  setsid "$SPARK_HOME/bin/spark-class" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 \
    --port "$(free_port)" --webui-port "$(free_port)" --cores 1 --memory 2g --work-dir "$WORK/worker$i" \
    "$MASTER" >"$WORK/worker$i.log" 2>&1 & PIDS+=($!)
done
for _ in $(seq 120); do
  n=$("$PY" -c 'import json,sys,urllib.request
try: print(json.load(urllib.request.urlopen(sys.argv[1], timeout=2))["aliveworkers"])
except Exception: print(0)' "http://127.0.0.1:$MUI/json/")
  [ "$n" = 2 ] && break; sleep 1
done
echo "cluster: standalone master + 2 workers on loopback, 1 core and 2 GB each; spark.executor.memory=1g, veracity --threads 1 per task, $PARTS partitions"
CONF=(--master "$MASTER" --conf spark.driver.host=127.0.0.1 --conf spark.driver.bindAddress=127.0.0.1
  --conf spark.executor.memory=1g --conf spark.executor.cores=1 --conf spark.cores.max=2
  --conf spark.task.maxFailures=4 --conf spark.ui.enabled=false --conf spark.local.dir="$WORK/local")

cluster() {  # name, then driver flags; prints wall of the whole driver, the job, the import
  local name=$1; shift
  local t0 t1 t2
  t0=$(date +%s.%N)
  "$PY" distributed/veracity_spark.py score "${CONF[@]}" --veracity "$V" --source-field category \
    --partitions "$PARTS" --output "$WORK/out-$name" "$@" "$WORK/bbc.jsonl" >"$WORK/driver-$name.log" 2>&1
  t1=$(date +%s.%N)
  "$V" archive import --db "$WORK/dist-$name.sqlite" $(ls "$WORK/out-$name"/part-*.jsonl | sort -r) 2>&1 | tail -1
  t2=$(date +%s.%N)
  "$PY" - "$WORK/out-$name/_stats.json" "$t0" "$t1" "$t2" <<'PY'
import json, sys
st = json.load(open(sys.argv[1])); s = st["summary"]; t0, t1, t2 = map(float, sys.argv[2:])
rss = max(p.get("peak_rss_kb", 0) for p in st["partitions"])
open(sys.argv[1].rsplit("/", 2)[0] + "/figures", "a").write(
    f"cluster-{sys.argv[1].split('/')[-2][4:]} {t1 - t0:.1f} {s['wall_seconds']} {s['task_seconds']} {s['articles']} {rss} {t2 - t1:.1f}\n")
print(f"driver wall {t1 - t0:.1f} s (Spark job {s['wall_seconds']:.1f} s, sum of task times {s['task_seconds']:.1f} s), "
      f"import {t2 - t1:.1f} s; {s['articles']} articles, {s['failures']} failures; "
      f"peak RSS of one veracity worker {rss} KB")
for p in st["partitions"]:
    print(f"  part {p['partition']}: {p['articles']} articles, {p['seconds']:.1f} s, peak RSS {p.get('peak_rss_kb')} KB; {p.get('summary', '')}")
PY
}
single() {  # name, then flags
  local name=$1; shift
  echo "command: $V --threads 2 archive score --db single-$name.sqlite --source-field category $* bbc.jsonl"
  /usr/bin/time -o "$WORK/time-$name" -f "%e %M" "$V" --threads 2 archive score --db "$WORK/single-$name.sqlite" \
    --source-field category "$@" "$WORK/bbc.jsonl" 2>&1 | grep -v -E '^warning|^\S+:[0-9]+: ' | tail -1
  read -r wall rss <"$WORK/time-$name"
  echo "wall $wall s, peak RSS $rss KB"
  echo "single-$name $wall" >>"$WORK/figures"
}

echo "## A. --index wiki-dense, single process (--threads 2)"
single A --index "$WORK/wiki-dense"
echo "## A. --index wiki-dense, two-worker cluster"
echo "command: distributed/veracity_spark.py score --master $MASTER --veracity V --index wiki-dense --source-field category --partitions $PARTS --output out-A bbc.jsonl; veracity archive import --db dist-A.sqlite out-A/part-* (last first)"
cluster A --index "$WORK/wiki-dense"
"$PY" distributed/compare_results.py same "$V" "$WORK/single-A.sqlite" "$WORK/dist-A.sqlite" | sed 's/^/  /'

echo "## A2. --index wiki-dense, two single processes (--threads 1) side by side on halves of the input, no Spark"
half=$(( (N + 1) / 2 ))
head -"$half" "$WORK/bbc.jsonl" > "$WORK/bbc-1.jsonl"; tail -n +"$((half + 1))" "$WORK/bbc.jsonl" > "$WORK/bbc-2.jsonl"
t0=$(date +%s.%N); HALVES=()
for i in 1 2; do
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$V" --threads 1 archive score --db - --source-field category \
    --index "$WORK/wiki-dense" - <"$WORK/bbc-$i.jsonl" >"$WORK/half-$i.jsonl" 2>"$WORK/half-$i.err" &
  HALVES+=($!)
done
wait "${HALVES[@]}"  # (not a bare wait: the cluster's daemons are children too)
for i in 1 2; do tail -2 "$WORK/half-$i.err" | sed "s/^/  half $i: /"; done
halves=$(echo "$(date +%s.%N) - $t0" | bc)
echo "both halves: wall $halves s"; echo "halves-A $halves" >>"$WORK/figures"
echo "## B. cross-references, single process: archive score --cross-references --index wiki-dense"
single B --index "$WORK/wiki-dense" --cross-references
echo "xref index beside the database: $(du -sh "$WORK/single-B.sqlite.xref" | cut -f1)"
echo "## B. cross-references, cluster: xref index built once, shipped (--ship) with the binary, model and wiki-dense"
echo "command: distributed/veracity_spark.py xref --index xref --source-field category bbc.jsonl"
/usr/bin/time -o "$WORK/time-xref" -f "%e %M" "$PY" distributed/veracity_spark.py xref --veracity "$V" \
  --index "$WORK/xref" --source-field category "$WORK/bbc.jsonl" 2>&1 | tail -1
read -r wall rss <"$WORK/time-xref"; echo "wall $wall s, peak RSS $rss KB"; echo "xref-B $wall" >>"$WORK/figures"
echo "xref index: $(du -sh "$WORK/xref" | cut -f1); evidence per worker: $(du -shc "$WORK/xref" "$WORK/wiki-dense" | tail -1 | cut -f1)"
cluster B --ship --index "$WORK/wiki-dense" --index "$WORK/xref"
"$PY" distributed/compare_results.py same "$V" "$WORK/single-B.sqlite" "$WORK/dist-B.sqlite" \
  --ignore articles.config_hash | sed 's/^/  /'

echo "## summary and projection"
"$PY" - "$WORK/figures" "$N" "$(du -sk "$WORK/wiki-dense" | cut -f1)" "$(du -sk "$WORK/xref" | cut -f1)" <<'PY'
import sys
fig = {}
for line in open(sys.argv[1]):
    k, *v = line.split()
    fig[k] = [float(x) for x in v]
n, wiki_kb, xref_kb = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sa, ca, ha = fig["single-A"][0], fig["cluster-A"], fig["halves-A"][0]
sb, cb, xb = fig["single-B"][0], fig["cluster-B"], fig["xref-B"][0]
print(f"A (same work): single {sa:.1f} s; two plain processes {ha:.1f} s; cluster driver {ca[0]:.1f} s, job {ca[1]:.1f} s, + import {ca[5]:.1f} s")
print(f"   overhead ratio, cluster (driver start to import done) / single: {(ca[0] + ca[5]) / sa:.2f}; "
      f"Spark job alone / single: {ca[1] / sa:.2f}; Spark job / two plain processes: {ca[1] / ha:.2f}; "
      f"two plain --threads 1 processes / one --threads 2: {ha / sa:.2f}")
print(f"B (cross-references): single {sb:.1f} s; xref build {xb:.1f} s + cluster driver {cb[0]:.1f} s (job {cb[1]:.1f} s) + import {cb[5]:.1f} s"
      f" = {xb + cb[0] + cb[5]:.1f} s; ratio {(xb + cb[0] + cb[5]) / sb:.2f}")
per = ca[2] / ca[3]  # core-seconds per article inside tasks (1 core each), model load included
print(f"per-article cost on a worker core (config A, sum of task times / articles): {per:.2f} s -> {3600 / per:.0f} articles/hour per core")
print(f"evidence index per worker: wiki-dense {wiki_kb / 1024:.0f} MB; xref of {n} articles {xref_kb / 1024:.1f} MB "
      f"({xref_kb / n:.1f} KB/article -> {xref_kb / n * 1e7 / 1024**2:.0f} GB for 10 million articles)")
print("projection, 10 million articles, N one-core workers like these (linear: tasks share nothing but read-only indexes;")
print("                                                       the search stays local, so the xref index must fit each worker):")
print(f"{'workers':>8} {'articles/hour':>14} {'10M articles':>14}")
for w in (1, 2, 10, 50, 100, 500, 1000):
    rate = w * 3600 / per
    hours = 1e7 / rate
    took = f"{hours / 24:.1f} days" if hours >= 48 else f"{hours:.1f} h"
    print(f"{w:>8} {rate:>14,.0f} {took:>14}")
PY
