#!/usr/bin/env bash
# Quality figures of two veracity binaries side by side, on the same data,
# caches and threads: the restructure into veracity::Analyzer (issue 14)
# must leave every figure as it was.
#
#   benchsuite/eval_before_after.sh OLD_BINARY NEW_BINARY DATA_DIR CACHE_DIR
#
# Prints each command, then the old and the new output and whether they are
# identical. The embedding caches are shared (they hold vectors of the same
# model, which do not depend on the code under test).
set -uo pipefail
old=$1 new=$2 data=$3 cache=$4
run() {
  local name=$1; shift
  echo "=== $name: veracity $*"
  "$old" "$@" > "$cache/$name.old" 2> "$cache/$name.old.err"; echo "old exit $?"
  "$new" "$@" > "$cache/$name.new" 2> "$cache/$name.new.err"; echo "new exit $?"
  if cmp -s "$cache/$name.old" "$cache/$name.new"; then
    echo "--- identical output:"; cat "$cache/$name.new"
  else
    echo "--- outputs differ (old, then new):"; cat "$cache/$name.old"; echo "---"; cat "$cache/$name.new"
  fi
}
export VERACITY_THREADS=2
run checkworthiness --threads 2 eval checkworthiness \
  --claimbuster "$data/claimbuster/claimbuster.dev.csv" \
  --checkthat "$data/checkthat/clef2019_task1" --cache "$cache/cw-minilm.vec"
run verdicts-climate-fever --threads 2 eval verdicts \
  --climate-fever "$data/climate-fever/climate-fever.dev.jsonl" \
  --cache "$cache/verdict-climate-fever.vec" --tune
run verdicts-climate-fever-hybrid --threads 2 eval verdicts \
  --climate-fever "$data/climate-fever/climate-fever.dev.jsonl" \
  --cache "$cache/verdict-climate-fever.vec" --retriever hybrid
run verdicts-scifact --threads 2 eval verdicts \
  --scifact-corpus "$data/scifact/corpus.jsonl" --scifact-claims "$data/scifact/claims_train.jsonl" \
  --cache "$cache/verdict-scifact.vec"
run propaganda --threads 2 eval propaganda --ptc "$data/ptc" --cache "$cache/propaganda.vec"
run propaganda-memes --threads 2 eval propaganda --memes "$data/semeval2021-memes" --cache "$cache/propaganda.vec"
