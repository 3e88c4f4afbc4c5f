#!/usr/bin/env bash
# Score the BBC news archive (2,225 articles; category as outlet) against the
# Wikipedia-sample index (built with `index add` defaults) with
# cross-references, and compare the run's sentence rate with the encoder's own
# (`bench embed` on the same articles' sentences, same machine, same threads,
# right after). Prints machine facts, the run's summary, wall time, peak RSS.
#
#   benchsuite/archive_bbc.sh [DATA_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
WORK=${2:-/tmp/veracity-archive-bench}
V=${V:-target/release/veracity}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$WORK"
echo "# archive score benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -m1 -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "binary: $V ($(git rev-parse --short HEAD)), threads: $THREADS"
if [ ! -d "$WORK/wiki" ]; then
  echo "## index add (defaults) of the Wikipedia sample"
  $V index add --index "$WORK/wiki" --kind reference --source wikipedia --text-field eng_Latn \
    "$DATA/wikipedia-sample/wikipedia.jsonl"
fi
rm -rf "$WORK/bbc.sqlite"* 
echo "## archive score --cross-references --index wiki (bbc-news, $(wc -l < "$DATA/bbc-news/bbc-news.jsonl") articles)"
echo "command: $V --threads $THREADS archive score --db $WORK/bbc.sqlite --index $WORK/wiki --cross-references --source-field category $DATA/bbc-news/bbc-news.jsonl"
/usr/bin/time -f "wall %e s, peak RSS %M KB" $V --threads "$THREADS" archive score \
  --db "$WORK/bbc.sqlite" --index "$WORK/wiki" --cross-references --source-field category \
  "$DATA/bbc-news/bbc-news.jsonl" 2>&1 | grep -v '^warning' | tail -3
echo "## bench embed on the articles' sentences (split on . ! ? and line breaks)"
python3 - "$DATA/bbc-news/bbc-news.jsonl" "$WORK/bbc-sentences.txt" <<'PY'
import json, re, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        text = json.loads(line)["text"]
        for s in re.split(r"(?<=[.!?])\s+|\n+", text):
            s = s.strip()
            if s:
                out.write(s + "\n")
PY
echo "sentences: $(wc -l < "$WORK/bbc-sentences.txt")"
$V --threads "$THREADS" bench embed --sentences "$WORK/bbc-sentences.txt" --repeats 1
