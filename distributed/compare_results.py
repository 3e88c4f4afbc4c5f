#!/usr/bin/env python3
"""Checks for the distributed run (used by test_spark_cluster.sh).

    compare_results.py same VERACITY SINGLE.sqlite DIST.sqlite [--ignore TABLE.COLUMN]...
        Every table (`veracity archive export`) holds the same records in
        both databases, order aside, run-time columns left out.
    compare_results.py once OUTPUT_DIR SINGLE.sqlite VERACITY
        The part files hold every article of SINGLE exactly once per
        (id, input line), and no stray temporary file is left.
"""

from __future__ import annotations

import collections
import glob
import json
import os
import subprocess
import sys

TABLES = ["articles", "claims", "evidence", "techniques", "failures"]
# Columns that differ between any two runs: when a record was written.
RUN_TIME = {"articles": {"scored_at"}, "failures": {"first_seen"}}


def export(veracity: str, db: str, table: str) -> list[dict]:
    out = subprocess.run(
        [veracity, "archive", "export", "--db", db, "--table", table, "--format", "jsonl"],
        check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def same(veracity: str, a: str, b: str, ignore: list[str]) -> int:
    bad = 0
    for table in TABLES:
        drop = set(RUN_TIME.get(table, ())) | {c.split(".", 1)[1] for c in ignore if c.startswith(table + ".")}
        rows = []
        for db in (a, b):
            rows.append(collections.Counter(
                json.dumps({k: v for k, v in r.items() if k not in drop}, sort_keys=True)
                for r in export(veracity, db, table)))
        only_a, only_b = rows[0] - rows[1], rows[1] - rows[0]
        n = sum(rows[0].values())
        if only_a or only_b:
            bad += 1
            print(f"DIFFER {table}: {n} vs {sum(rows[1].values())} rows; "
                  f"{sum(only_a.values())} only in {a}, {sum(only_b.values())} only in {b}")
            for r in list(only_a)[:2]:
                print(f"  only in {os.path.basename(a)}: {r[:600]}")
            for r in list(only_b)[:2]:
                print(f"  only in {os.path.basename(b)}: {r[:600]}")
        else:
            print(f"same {table}: {n} rows (ignoring {', '.join(sorted(drop)) or 'nothing'})")
    return 1 if bad else 0


def once(out_dir: str, single_db: str, veracity: str) -> int:
    parts = sorted(glob.glob(os.path.join(out_dir, "part-*.jsonl")))
    seen = collections.Counter()
    failures = collections.Counter()
    for p in parts:
        for line in open(p, encoding="utf-8"):
            obj = json.loads(line)
            if "failure" in obj:
                f = obj["failure"]
                failures[(f["input"], f["line"])] += 1
            else:
                seen[(obj["id"], obj["input"], obj["line"])] += 1
    problems = []
    dup = {k: n for k, n in seen.items() if n > 1}
    if dup:
        problems.append(f"articles written more than once: {sorted(dup)[:5]}")
    dupf = {k: n for k, n in failures.items() if n > 1}
    if dupf:
        problems.append(f"failures written more than once: {sorted(dupf)[:5]}")
    ids = {k[0] for k in seen}
    want = {r["id"] for r in export(veracity, single_db, "articles")}
    if ids != want:
        problems.append(f"ids differ from the single-machine run: missing {sorted(want - ids)[:5]}, "
                        f"extra {sorted(ids - want)[:5]}")
    stray = glob.glob(os.path.join(out_dir, "*.tmp-*")) + glob.glob(os.path.join(out_dir, "_attempts", "*.pid"))
    if stray:
        problems.append(f"temporary files left: {stray[:5]}")
    if not os.path.exists(os.path.join(out_dir, "_SUCCESS")):
        problems.append("no _SUCCESS marker")
    for p in problems:
        print("FAIL " + p)
    if not problems:
        print(f"exactly once: {sum(seen.values())} article lines ({len(ids)} ids), "
              f"{sum(failures.values())} failure lines in {len(parts)} part files")
    return 1 if problems else 0


def main(argv: list[str]) -> int:
    if len(argv) >= 4 and argv[0] == "same":
        ignore = [argv[i + 1] for i, a in enumerate(argv) if a == "--ignore"]
        return same(argv[1], argv[2], argv[3], ignore)
    if len(argv) == 4 and argv[0] == "once":
        return once(argv[1], argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
