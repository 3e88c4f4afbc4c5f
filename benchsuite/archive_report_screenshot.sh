#!/usr/bin/env bash
# Rebuild docs/archive-report-screenshot.png: score the archive test fixture
# (with cross-references, the demo corpus as evidence), render its report and
# take a headless Chromium screenshot (Debian: apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cargo run --release --quiet -- archive score --db "$tmp/fixture.sqlite" \
  --corpus examples/demo-corpus.jsonl --cross-references \
  tests/fixtures/archive/articles.jsonl tests/fixtures/archive/bad.jsonl
cargo run --release --quiet -- archive report --db "$tmp/fixture.sqlite" -o "$tmp/report.html"
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=900,2020 \
  --screenshot=docs/archive-report-screenshot.png "file://$tmp/report.html"
