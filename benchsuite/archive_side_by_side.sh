#!/usr/bin/env bash
# Two veracity binaries side by side on one archive run: the first N BBC
# articles (category as outlet) scored against the Wikipedia sample's dense
# index with cross-references, each into a fresh database, one after the
# other on the same machine: wall time, articles/s, sentences/s, peak RSS.
#
#   V=new/veracity OLD=old/veracity benchsuite/archive_side_by_side.sh [DATA_DIR] [WORK_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data}
WORK=${2:-/tmp/veracity-archive-sbs}
V=${V:-target/release/veracity}
OLD=${OLD:?set OLD to the binary to compare with}
N=${N:-200}
THREADS=${THREADS:-$(nproc)}
mkdir -p "$WORK"
echo "# archive score side by side, $(date -u +%Y-%m-%dT%H:%MZ)"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "flags: $(grep -o -w -E 'avx512f|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "new: $V; old: $OLD; --threads $THREADS; $N articles"
head -"$N" "$DATA/bbc-news/bbc-news.jsonl" > "$WORK/bbc.jsonl"
if [ ! -d "$WORK/wiki-dense" ]; then
  "$V" --threads "$THREADS" index add --index "$WORK/wiki-dense" --dense --kind reference \
    --source wikipedia --text-field eng_Latn "$DATA/wikipedia-sample/wikipedia.jsonl" | tail -1
fi
for bin in "$OLD" "$V"; do
  rm -rf "$WORK/db.sqlite"* "$WORK/db.sqlite.xref"
  echo "## $bin archive score --index wiki-dense --cross-references --source-field category"
  /usr/bin/time -f "wall %e s, peak RSS %M KB" "$bin" --threads "$THREADS" archive score \
    --db "$WORK/db.sqlite" --index "$WORK/wiki-dense" --cross-references \
    --source-field category "$WORK/bbc.jsonl" 2>&1 | grep -E '^read |^wall '
done
