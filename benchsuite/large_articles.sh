#!/usr/bin/env bash
# Time and peak memory of one very long article (BBC articles concatenated
# into one text of 250 KB, 500 KB, 1 MB and 2 MB), for `propaganda` and for
# `analyze` (claims, verdicts without an index, propaganda): is the work
# linear in the article? Each size is also run on two binaries side by side
# when OLD=path/to/veracity is given (same machine, same run).
#
#   benchsuite/large_articles.sh [DATA_DIR] [WORK_DIR]      (V=target/release/veracity)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
WORK=${2:-/tmp/veracity-large-articles}
V=${V:-target/release/veracity}
THREADS=${THREADS:-$(nproc)}
SIZES=${SIZES:-"250000 500000 1000000 2000000"}
BBC="$DATA/bbc-news/bbc-news.jsonl"
mkdir -p "$WORK"
echo "# one long article: time and peak RSS by size, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "binary: $V (commit $(git rev-parse --short HEAD)${OLD:+; old: $OLD}), --threads $THREADS"
python3 - "$BBC" "$WORK" $SIZES <<'PY'
import json, sys
bbc, work, sizes = sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3:]]
texts = [json.loads(l)["text"] for l in open(bbc, encoding="utf-8")]
for n in sizes:
    out, size, i = [], 0, 0
    while size < n:
        t = texts[i % len(texts)]
        out.append(t)
        size += len(t.encode()) + 2
        i += 1
    open(f"{work}/a{n}.txt", "w", encoding="utf-8").write("\n\n".join(out))
PY
timed() { /usr/bin/time -f "wall %e s, peak RSS %M KB" "$@" 2>&1 >/dev/null | tail -1; }
for n in $SIZES; do
  f="$WORK/a$n.txt"
  for bin in $V ${OLD:-}; do
    echo "$(wc -c < "$f") bytes, $bin propaganda: $(timed "$bin" --threads "$THREADS" propaganda "$f" --json)"
    echo "$(wc -c < "$f") bytes, $bin analyze:    $(timed "$bin" --threads "$THREADS" analyze "$f" --format json)"
  done
done
