#!/usr/bin/env bash
# Score the BBC news archive (2,225 articles; category as outlet) against the
# Wikipedia sample with cross-references, and compare the run's sentence rate
# with the encoder's own (`bench embed` on the same articles' sentences, same
# machine and threads, right after). Two evidence indexes: `index add`
# defaults (BM25; candidates embedded on the fly) on the first 200 articles,
# and `index add --dense` (stored passage vectors) on all of them.
#
#   benchsuite/archive_bbc.sh [DATA_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
WORK=${2:-/tmp/veracity-archive-bench}
V=${V:-target/release/veracity}
THREADS=${THREADS:-$(nproc)}
BBC="$DATA/bbc-news/bbc-news.jsonl"
WIKI="$DATA/wikipedia-sample/wikipedia.jsonl"
mkdir -p "$WORK"
echo "# archive score benchmark, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "binary: $V (commit $(git rev-parse --short HEAD)), --threads $THREADS, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
timed() { /usr/bin/time -f "wall %e s, peak RSS %M KB" "$@" 2>&1 | grep -v -E '^warning|^\S+:[0-9]+: ' | tail -2; }
rm -rf "$WORK/wiki" "$WORK/wiki-dense"
echo "## index add (defaults) and index add --dense of the Wikipedia sample"
timed $V --threads "$THREADS" index add --index "$WORK/wiki" --kind reference --source wikipedia --text-field eng_Latn "$WIKI"
timed $V --threads "$THREADS" index add --index "$WORK/wiki-dense" --dense --kind reference --source wikipedia --text-field eng_Latn "$WIKI"
head -200 "$BBC" > "$WORK/bbc200.jsonl"
for run in "wiki $WORK/bbc200.jsonl" "wiki-dense $WORK/bbc200.jsonl" "wiki-dense $BBC"; do
  set -- $run
  rm -rf "$WORK/bbc.sqlite"*
  echo "## archive score --index $1 --cross-references ($(wc -l < "$2") articles)"
  echo "command: $V --threads $THREADS archive score --db bbc.sqlite --index $1 --cross-references --source-field category $(basename "$2")"
  timed $V --threads "$THREADS" archive score --db "$WORK/bbc.sqlite" --index "$WORK/$1" \
    --cross-references --source-field category "$2"
done
echo "## rerun of the last command (everything unchanged)"
timed $V --threads "$THREADS" archive score --db "$WORK/bbc.sqlite" --index "$WORK/wiki-dense" \
  --cross-references --source-field category "$BBC"
echo "## bench embed on the articles' sentences (split on . ! ? and line breaks)"
python3 - "$BBC" "$WORK/bbc-sentences.txt" <<'PY'
import json, re, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        for s in re.split(r"(?<=[.!?])\s+|\n+", json.loads(line)["text"]):
            if s.strip():
                out.write(s.strip() + "\n")
PY
echo "sentences: $(wc -l < "$WORK/bbc-sentences.txt")"
$V --threads "$THREADS" bench embed --sentences "$WORK/bbc-sentences.txt" --repeats 1 --article-repeats 3
