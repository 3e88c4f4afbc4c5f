#!/usr/bin/env bash
# Ingest a (large) dump inside a memory cgroup whose limit is smaller than the dump,
# sampling heap (RssAnon) and mapped-file (RssFile) memory every few seconds.
#
# usage: benchsuite/ingest_memcap.sh VERACITY_BIN DUMP INDEX_DIR LIMIT_MB [SAMPLE_S]
#
# The limit covers everything the kernel charges to the process: heap, mapped
# index pages and page cache. Reclaimable pages are dropped under pressure; if the
# heap alone outgrew the limit the kernel would kill the ingest (memory.failcnt and
# the exit status show it). Needs root and a cgroup-v1 memory controller at
# /sys/fs/cgroup/memory or cgroup v2 at /sys/fs/cgroup (memory.max).
# Generate a dump with: benchsuite/gen_wiki_xml.py INPUT.jsonl OUT.xml --size-mb N
set -euo pipefail
bin=$1 dump=$2 index=$3 limit_mb=$4 every=${5:-10}
name="veracity-ingest-$$"
if [ -d /sys/fs/cgroup/memory ]; then
  cg=/sys/fs/cgroup/memory/$name
  mkdir "$cg"
  echo $((limit_mb * 1024 * 1024)) >"$cg/memory.limit_in_bytes"
  peak_file=$cg/memory.max_usage_in_bytes
else
  cg=/sys/fs/cgroup/$name
  mkdir "$cg"
  echo $((limit_mb * 1024 * 1024)) >"$cg/memory.max"
  peak_file=$cg/memory.peak
fi
trap 'rmdir "$cg" 2>/dev/null || true' EXIT

echo "# $(date -u +%FT%TZ) $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM; load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# dump: $dump ($(du -m "$dump" | cut -f1) MB); memory limit of the cgroup: $limit_mb MB"
echo "\$ $bin --threads 2 index add --index $index --kind reference $dump"
# The child joins the cgroup before exec, so every byte it touches is charged there.
sh -c "echo \$\$ >$cg/cgroup.procs && exec /usr/bin/time -v $bin --threads 2 index add --index $index --kind reference $dump" \
  >/tmp/$name.out 2>/tmp/$name.err &
pid=$!
max_anon=0
while kill -0 "$pid" 2>/dev/null; do
  # $pid is /usr/bin/time; veracity is its child.
  st=/proc/$(pgrep -P "$pid" -n 2>/dev/null || echo "$pid")/status
  if [ -r "$st" ]; then
    anon=$(awk '/RssAnon/ {print $2}' "$st" 2>/dev/null || echo 0)
    file=$(awk '/RssFile/ {print $2}' "$st" 2>/dev/null || echo 0)
    idx=$(du -sm "$index" 2>/dev/null | cut -f1)
    [ "${anon:-0}" -gt "$max_anon" ] && max_anon=$anon
    echo "$(date -u +%T) anon=${anon}kB file=${file}kB idx=${idx}MB"
  fi
  sleep "$every"
done
set +e
wait "$pid"
rc=$?
set -e
grep -v '^\s*$' /tmp/$name.err | grep -E 'added|error|Maximum resident|Elapsed|User time|System time|Exit status' || true
cat /tmp/$name.out
echo "exit status: $rc"
echo "peak RssAnon sampled: $((max_anon / 1024)) MB; cgroup peak (heap + mapped + page cache): $(($(cat "$peak_file") / 1048576)) MB of $limit_mb MB"
[ -r "$cg/memory.failcnt" ] && echo "times the limit was hit (reclaim): $(cat "$cg/memory.failcnt")"
rm -f /tmp/$name.out /tmp/$name.err
exit "$rc"
