#!/usr/bin/env bash
# Fuzz veracity's input readers with cargo-fuzz (libFuzzer), each target for a
# bounded time, starting from the committed seeds (fuzz/seeds/TARGET/ and the
# project's fixtures that fuzz/seeds.txt names).
#
#   fuzz/run.sh              every target, SECONDS_PER_TARGET (default 120) each
#   fuzz/run.sh csv jsonl    some targets
#
# cargo-fuzz needs a nightly compiler's -Z flags; on a machine with only the
# stable toolchain the script sets RUSTC_BOOTSTRAP=1 for the fuzz build only
# (the fuzzed code is the same stable code; nothing else is built that way).
# There is no sanitizer (`--sanitizer none`): veracity is safe Rust, and what
# is looked for is panics, failed assertions of the targets' invariants,
# timeouts and runaway memory.
#
# A crash is kept by libFuzzer under fuzz/artifacts/TARGET/. Once fixed, copy
# the input to fuzz/regressions/TARGET/ (named after the bug): `cargo test
# --test fuzz_regressions` replays every file there, on every CI run.
set -euo pipefail
cd "$(dirname "$0")"
SECS=${SECONDS_PER_TARGET:-120}
ALL=(html_extract segment wikitext jsonl csv article wiki_xml)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi
if ! rustc --version | grep -q nightly; then export RUSTC_BOOTSTRAP=1; fi
status=0
for t in "${TARGETS[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  cp -n seeds/"$t"/* "corpus/$t/" 2>/dev/null || true
  awk -v t="$t" '$1 == t { print $2 }' seeds.txt | while read -r f; do cp -n "../$f" "corpus/$t/"; done
  [ -d "regressions/$t" ] && cp -n regressions/"$t"/* "corpus/$t/" 2>/dev/null || true
  echo "== $t: ${SECS}s" >&2
  # -rss_limit_mb: a reader whose memory grows with a small input fails;
  # -timeout: one input taking over 10 s is a hang.
  if ! cargo fuzz run --sanitizer none -O "$t" "corpus/$t" -- \
      -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
      -artifact_prefix="artifacts/$t/" 2>"artifacts/$t.log"; then
    echo "$t: FOUND a failure (artifacts/$t/, log artifacts/$t.log)" >&2
    tail -30 "artifacts/$t.log" >&2
    status=1
  else
    grep -E '^#[0-9]+.*(DONE|pulse)' "artifacts/$t.log" | tail -1 >&2 || true
  fi
done
exit $status
