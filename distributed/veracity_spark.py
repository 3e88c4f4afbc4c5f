#!/usr/bin/env python3
"""Score a news archive with veracity on an Apache Spark cluster.

The archive (JSONL files, plain, .gz or .bz2; or Parquet) is read as Spark
partitions. Each partition is piped, as JSONL on standard input, through
veracity's worker mode on an executor:

    veracity archive score --db - [--index DIR]... [field flags] -

which writes one result line per article (and one ``{"failure": ...}`` line
per bad record) on standard output. The task rewrites each line's ``input``
and ``line`` to the article's place in the archive (the worker only sees
standard input) and writes the partition's lines to ``OUT/part-NNNNN.jsonl``
through a temporary file and a rename: a retried or speculative attempt
replaces the file whole, so the output holds every article exactly once
however often a task ran. A veracity process that does not end with exit
status 0 or 1 (1: the partition held no readable article) fails the task,
and Spark runs it again (``spark.task.maxFailures``).

``veracity archive import --db FILE OUT/part-*.jsonl`` then builds the same
database a single-machine ``archive score`` writes (``--import-db`` does it
at the end of the job). See docs/scale-out.md.

Usage (a standalone master; spark-submit works the same way):

    python3 distributed/veracity_spark.py score --master spark://HOST:7077 \\
        --veracity /shared/bin/veracity --model-dir /shared/models/all-MiniLM-L6-v2 \\
        --index /shared/indexes/wiki --output /shared/out/run1 \\
        --import-db news.sqlite archive.jsonl

Only pyspark and the standard library are needed.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import uuid
from urllib.parse import urlparse

# Options passed through to `veracity archive score` unchanged: (our flag,
# veracity's flag). Paths among them are resolved by `_path_option`.
PASS_THROUGH = [
    ("model", "--model"),
    ("stance_model", "--stance-model"),
    ("language", "--language"),
    ("text_field", "--text-field"),
    ("title_field", "--title-field"),
    ("id_field", "--id-field"),
    ("source_field", "--source-field"),
    ("date_field", "--date-field"),
    ("url_field", "--url-field"),
    ("batch", "--batch"),
    ("max_text_bytes", "--max-text-bytes"),
    ("min_checkworthiness", "--min-checkworthiness"),
]

RESULT_GLOB = "part-*.jsonl"


class SetupError(Exception):
    """A problem found before the job starts (bad path, missing model...)."""


# --------------------------------------------------------------------------
# Helpers shared by the driver and the executors
# --------------------------------------------------------------------------


def default_source(path: str) -> str:
    """veracity's outlet for a record without one: the input file's name up
    to its first dot (`corpus::ingest::default_source`)."""
    name = os.path.basename(path.rstrip("/")) or "input"
    return name.split(".")[0]


def has_scheme(path: str) -> bool:
    """Whether `path` is a URI (hdfs://, s3a://, file://) rather than a path."""
    return bool(urlparse(path).scheme) and not os.path.exists(path)


def _die_with_parent() -> None:
    """In the child before exec: get SIGKILL when the Python worker that
    started it dies (Linux; elsewhere the closed stdin ends veracity)."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def resolve_shipped(cfg: dict, key: str):
    """The local path of a file or folder on this executor: shipped ones
    through SparkFiles, others as given (shared storage)."""
    value = cfg[key]
    if value is None:
        return None
    if isinstance(value, list):
        return [_resolve_one(cfg, v) for v in value]
    return _resolve_one(cfg, value)


def _resolve_one(cfg: dict, path: str) -> str:
    if not cfg["ship"]:
        return path
    from pyspark import SparkFiles

    local = SparkFiles.get(os.path.basename(path.rstrip("/")))
    if not os.path.exists(local):
        raise RuntimeError(f"shipped file {path!r} is not on this executor (looked at {local})")
    return local


def veracity_command(cfg: dict, source: str | None) -> list[str]:
    """The worker-mode command line for one partition."""
    binary = resolve_shipped(cfg, "veracity")
    if not os.path.isfile(binary):
        raise RuntimeError(f"veracity binary not found at {binary} on this executor")
    if not os.access(binary, os.X_OK):
        try:
            os.chmod(binary, 0o755)
        except OSError as e:
            raise RuntimeError(f"veracity binary {binary} is not executable: {e}") from e
    cmd = [binary, "--threads", str(cfg["threads"]), "archive", "score", "--db", "-"]
    if cfg["model_dir"]:
        cmd += ["--model-dir", resolve_shipped(cfg, "model_dir")]
    if cfg["home"]:
        cmd += ["--home", resolve_shipped(cfg, "home")]
    for index in resolve_shipped(cfg, "indexes") or []:
        cmd += ["--index", index]
    if cfg["config"]:
        cmd += ["--config", resolve_shipped(cfg, "config")]
    cmd += cfg["flags"]
    if source is not None:
        cmd += ["--source", source]
    cmd.append("-")
    return cmd


# --------------------------------------------------------------------------
# The task: one partition through one veracity process
# --------------------------------------------------------------------------


def _rewrite(line: str, origins: list, files: list, fallback_file: str) -> tuple[str, str]:
    """A worker result line with `input`/`line` put back to the archive's
    file and line; returns (kind, new line)."""
    obj = json.loads(line)
    target = obj["failure"] if "failure" in obj else obj
    kind = "failure" if "failure" in obj else "article"
    n = int(target.get("line") or 0)
    if target.get("input") == "-" and 1 <= n <= len(origins):
        file_idx, original_line = origins[n - 1]
        target["input"], target["line"] = files[file_idx], original_line
    elif target.get("input") == "-":
        target["input"], target["line"] = fallback_file, 0
    return kind, json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def score_partition(cfg: dict, index: int, records):
    """mapPartitionsWithIndex body: `records` are (file index, line, text);
    yields one summary dict for the partition."""
    from pyspark import TaskContext

    out_dir = cfg["output"]
    final = os.path.join(out_dir, f"part-{index:05d}.jsonl")
    ctx = TaskContext.get()
    attempt = f"{ctx.stageId()}.{ctx.attemptNumber()}.{ctx.taskAttemptId()}" if ctx else "0"
    started = time.time()
    if cfg["resume"] and os.path.exists(final):
        yield {"partition": index, "skipped": True, "articles": 0, "failures": 0, "seconds": 0.0}
        return

    records = iter(records)
    first = next(records, None)
    if first is None:  # an empty partition: an empty result file
        _atomic_write_empty(final, attempt)
        yield {"partition": index, "articles": 0, "failures": 0, "seconds": 0.0, "attempt": attempt}
        return
    files = cfg["files"]
    file_idx = first[0]
    source = cfg["source"] if cfg["source"] is not None else default_source(files[file_idx])
    cmd = veracity_command(cfg, source)

    tmp = f"{final}.tmp-{attempt}-{uuid.uuid4().hex[:8]}"
    pid_file = os.path.join(out_dir, "_attempts", f"part-{index:05d}.attempt-{attempt}.pid")
    env = dict(os.environ, VERACITY_OFFLINE="1")
    err_path = tmp + ".stderr"
    origins: list = []
    feed_error: list = []
    with open(err_path, "w+b") as err, open(tmp, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,
            env=env,
            preexec_fn=_die_with_parent,
        )
        with open(pid_file, "w") as f:
            f.write(f"{proc.pid}\n{tmp}\n")

        def feed():
            try:
                for rec in _chain(first, records):
                    if rec[0] != file_idx:
                        raise RuntimeError("a partition mixes input files (repartitioned input?)")
                    origins.append((rec[0], rec[1]))
                    proc.stdin.write(rec[2].encode("utf-8") + b"\n")
            except BrokenPipeError:
                pass  # veracity ended early; its exit status says why
            except BaseException as e:  # noqa: BLE001 (reported below)
                feed_error.append(e)
            finally:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        counts = {"article": 0, "failure": 0}
        try:
            for raw in proc.stdout:
                line = raw.decode("utf-8").rstrip("\n")
                if not line:
                    continue
                # `origins` grows ahead of the output: veracity reads a line
                # before it writes that article's result.
                kind, line = _rewrite(line, origins, files, files[file_idx])
                counts[kind] += 1
                out.write(line + "\n")
                out.flush()  # what is done shows in the temporary file
        except BaseException:
            proc.kill()  # e.g. an unreadable result line: the attempt fails whole
            proc.wait()
            os.remove(tmp)
            raise
        # wait4 rather than wait: the child's peak RSS comes with its status.
        _, status, usage = os.wait4(proc.pid, 0)
        rc = proc.returncode = os.waitstatus_to_exitcode(status)
        feeder.join()
        out.flush()
        os.fsync(out.fileno())
        err.seek(0)
        stderr_tail = err.read()[-4000:].decode("utf-8", "replace")
    os.remove(err_path)
    try:
        os.remove(pid_file)
    except OSError:
        pass
    if feed_error:
        os.remove(tmp)
        raise RuntimeError(f"partition {index}: feeding veracity failed: {feed_error[0]}")
    if rc not in (0, 1):
        os.remove(tmp)
        how = f"was killed by signal {-rc}" if rc < 0 else f"exited with status {rc}"
        raise RuntimeError(
            f"partition {index}: veracity {how}\ncommand: {' '.join(cmd)}\nstderr:\n{stderr_tail}"
        )
    os.replace(tmp, final)  # atomic: a retry or a speculative copy replaces it whole
    _fsync_dir(out_dir)
    summary = stderr_tail.strip().splitlines()[-1] if stderr_tail.strip() else ""
    yield {
        "partition": index,
        "articles": counts["article"],
        "failures": counts["failure"],
        "lines_in": len(origins),
        "seconds": round(time.time() - started, 3),
        "peak_rss_kb": usage.ru_maxrss,
        "attempt": attempt,
        "summary": summary,
    }


def _chain(first, rest):
    yield first
    yield from rest


def _atomic_write_empty(final: str, attempt: str) -> None:
    tmp = f"{final}.tmp-{attempt}-{uuid.uuid4().hex[:8]}"
    open(tmp, "w").close()
    os.replace(tmp, final)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


# --------------------------------------------------------------------------
# The driver
# --------------------------------------------------------------------------


def read_archive(spark, inputs: list[str], partitions: int, parquet: bool):
    """One RDD of (file index, line number, JSON text) over all inputs; each
    partition holds lines of one file only, in file order."""
    sc = spark.sparkContext
    sizes = [_size(p) for p in inputs]
    total = sum(sizes) or 1
    rdds = []
    for i, path in enumerate(inputs):
        share = max(1, round(partitions * sizes[i] / total))
        is_parquet = parquet or path.rstrip("/").endswith(".parquet")
        # Each row of a Parquet dataset as a JSON object (null columns left out).
        lines = spark.read.parquet(path).toJSON() if is_parquet else sc.textFile(path, minPartitions=share)
        # zipWithIndex numbers lines in file order (a counting pass first):
        # the `line` a single-machine run records (for Parquet: the row).
        numbered = lines.zipWithIndex().map(lambda t, i=i: (i, t[1] + 1, t[0]))
        if is_parquet and numbered.getNumPartitions() < share:
            numbered = numbered.repartition(share)  # few large row groups: spread them
        rdds.append(numbered)
    return rdds[0] if len(rdds) == 1 else sc.union(rdds)


def _size(path: str) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 1


def check_inputs(inputs: list[str], parquet: bool) -> list[str]:
    out = []
    for p in inputs:
        if has_scheme(p):
            out.append(p)  # hdfs://, s3a://: Spark reports a missing one
            continue
        if not os.path.exists(p):
            raise SetupError(f"input {p!r}: no such file or folder")
        lower = p.lower()
        if parquet or lower.rstrip("/").endswith(".parquet"):
            out.append(p)
        elif os.path.isdir(p):
            found = sorted(glob.glob(os.path.join(p, "*.jsonl")) + glob.glob(os.path.join(p, "*.jsonl.gz"))
                           + glob.glob(os.path.join(p, "*.jsonl.bz2")))
            if not found:
                raise SetupError(f"input folder {p!r} holds no .jsonl / .jsonl.gz / .jsonl.bz2 file")
            out.extend(found)
        elif lower.endswith((".zst", ".zstd")):
            raise SetupError(
                f"input {p!r}: Spark reads .zst only with Hadoop's native zstd library; "
                "recompress as .bz2 (splittable) or .gz, or decompress it")
        elif lower.endswith((".jsonl", ".ndjson", ".json", ".jsonl.gz", ".jsonl.bz2", ".ndjson.gz", ".ndjson.bz2")):
            out.append(p)
        else:
            raise SetupError(
                f"input {p!r}: the distributed driver reads JSONL (.jsonl, .jsonl.gz, .jsonl.bz2) "
                "and Parquet; convert CSV or text folders to JSONL first")
    return out


def check_veracity(args) -> None:
    """Before the cluster is asked for anything: the binary runs, and it
    loads the model, indexes and config (an empty worker-mode run)."""
    binary = args.veracity
    if not os.path.isfile(binary):
        raise SetupError(f"veracity binary not found: {binary} (build it with `cargo build --release`)")
    if not os.access(binary, os.X_OK):
        raise SetupError(f"veracity binary is not executable: {binary}")
    for index in args.index:
        if not has_scheme(index) and not os.path.isdir(index):
            raise SetupError(f"evidence index {index!r}: no such folder (build it with `veracity index add`)")
    if args.model_dir and not os.path.isfile(os.path.join(args.model_dir, "config.json")):
        raise SetupError(f"--model-dir {args.model_dir!r} holds no model (config.json missing)")
    if args.no_preflight:
        return
    cfg = _task_config(args, [], ship=False)
    cfg["threads"] = args.threads or 1
    cmd = veracity_command(cfg, None)
    run = subprocess.run(cmd, input=b"", capture_output=True, env=dict(os.environ, VERACITY_OFFLINE="1"))
    if run.returncode not in (0, 1):
        msg = run.stderr.decode("utf-8", "replace").strip()
        raise SetupError(
            f"veracity cannot start with these settings (exit {run.returncode}):\n{msg}\n"
            "(a missing model: `veracity models fetch`, or give --model-dir; "
            "skip this check with --no-preflight when the driver has no veracity)")


def model_dir_for_shipping(args) -> str:
    """The model folder to ship: --model-dir, else where `models list` finds it."""
    if args.model_dir:
        return args.model_dir
    cmd = [args.veracity] + (["--home", args.home] if args.home else []) + ["models", "list"]
    listing = subprocess.run(cmd, capture_output=True, text=True).stdout
    wanted = args.model or "sentence-transformers/all-MiniLM-L6-v2"
    for row in listing.splitlines()[1:]:
        cols = row.split()
        if cols and (cols[0] == wanted or cols[0].endswith("/" + wanted)) and "/" in row:
            where = row.split("  ")[-1].strip()
            path = where.split(" (")[0]
            if os.path.isfile(os.path.join(path, "config.json")):
                return path
    raise SetupError(f"model {wanted!r} is not on this machine: run `veracity models fetch`, or give --model-dir")


def _task_config(args, files: list[str], ship: bool) -> dict:
    flags = []
    for attr, flag in PASS_THROUGH:
        value = getattr(args, attr)
        if value is not None:
            flags += [flag, str(value)]
    model_dir = args.model_dir
    if ship and not model_dir:
        model_dir = model_dir_for_shipping(args)
    return {
        "veracity": os.path.abspath(args.veracity) if not ship else args.veracity,
        "model_dir": model_dir,
        "home": None if ship else args.home,
        "indexes": list(args.index),
        "config": args.config,
        "flags": flags,
        "source": args.source,
        "threads": args.threads,
        "ship": ship,
        "files": files,
        "output": os.path.abspath(args.output),
        "resume": args.resume,
    }


def ship(sc, cfg: dict, staging: str) -> None:
    """Distribute binary, model, indexes and config through Spark: files with
    SparkContext.addFile, folders as a .tar with SparkContext.addArchive
    (unpacked under the folder's name on each executor). Either is fetched
    once per executor and cached there."""
    names = set()
    paths = [cfg["veracity"], cfg["model_dir"], cfg["config"], *cfg["indexes"]]
    for p in paths:
        if p is None:
            continue
        name = os.path.basename(p.rstrip("/"))
        if name in names:
            raise SetupError(f"two shipped paths are named {name!r}; rename one (SparkFiles keys on the name)")
        names.add(name)
        if os.path.isdir(p):
            tar = os.path.join(staging, name + ".tar")
            with tarfile.open(tar, "w") as t:
                for child in sorted(os.listdir(p)):
                    t.add(os.path.join(p, child), arcname=child)
            sc.addArchive(f"file://{os.path.abspath(tar)}#{name}")
        else:
            sc.addFile(os.path.abspath(p))


def prepare_output(out: str, manifest: dict, resume: bool) -> None:
    os.makedirs(os.path.join(out, "_attempts"), exist_ok=True)
    path = os.path.join(out, "_job.json")
    existing = glob.glob(os.path.join(out, RESULT_GLOB))
    if os.path.exists(path) and existing:
        old = json.load(open(path))
        if not resume:
            raise SetupError(f"{out} already holds results; --resume to finish that job, or another --output")
        if old.get("inputs") != manifest["inputs"] or old.get("partitions") != manifest["partitions"]:
            raise SetupError(f"{out} holds results of another job (inputs or partitions differ); use another --output")
    elif existing and not resume:
        raise SetupError(f"{out} already holds part files; use an empty --output")
    for stale in glob.glob(os.path.join(out, "_SUCCESS")):
        os.remove(stale)
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(path + ".tmp", path)


def clean_output(out: str) -> None:
    """After the job: leftovers of failed attempts (their part files were
    never renamed into place) go."""
    for p in glob.glob(os.path.join(out, "part-*.tmp-*")):
        os.remove(p)
    for p in glob.glob(os.path.join(out, "_attempts", "*.pid")):
        os.remove(p)


def import_results(args, out: str, n_partitions: int) -> None:
    parts = [os.path.join(out, f"part-{i:05d}.jsonl") for i in range(n_partitions)]
    # Later partitions first: `archive import` keeps the last record of an id,
    # so the first occurrence in the archive wins, as in a single-machine run.
    cmd = [args.veracity] + (["--home", args.home] if args.home else [])
    cmd += ["archive", "import", "--db", args.import_db] + parts[::-1]
    print("+ " + " ".join(cmd[:6]) + f" <{len(parts)} part files, last first>", file=sys.stderr)
    subprocess.run(cmd, check=True)


def run_score(args) -> int:
    from pyspark.sql import SparkSession

    if args.cross_references:
        raise SetupError(
            "--cross-references needs one database beside one index; for a distributed run build "
            "the cross-reference index once (`veracity_spark.py xref --index DIR ARCHIVE...`) and "
            "pass it as --index DIR (see docs/scale-out.md)")
    inputs = check_inputs(args.inputs, args.parquet)
    check_veracity(args)

    builder = SparkSession.builder.appName(args.app_name)
    if args.master:
        builder = builder.master(args.master)
    for kv in args.conf:
        k, _, v = kv.partition("=")
        builder = builder.config(k, v)
    spark = builder.getOrCreate()
    sc = spark.sparkContext
    staging = None
    try:
        if args.threads is None:
            args.threads = int(sc.getConf().get("spark.task.cpus", "1"))
        partitions = args.partitions or max(2, 2 * sc.defaultParallelism)
        cfg = _task_config(args, inputs, ship=args.ship)
        if args.ship:
            staging = tempfile.mkdtemp(prefix="veracity-ship-")
            ship(sc, cfg, staging)
        rdd = read_archive(spark, inputs, partitions, args.parquet)
        n = rdd.getNumPartitions()
        out = cfg["output"]
        manifest = {"inputs": inputs, "partitions": n, "command": veracity_command_preview(cfg)}
        prepare_output(out, manifest, args.resume)
        started = time.time()
        stats = rdd.mapPartitionsWithIndex(lambda i, it: score_partition(cfg, i, it)).collect()
        wall = time.time() - started
    finally:
        spark.stop()
        if staging:
            shutil.rmtree(staging, ignore_errors=True)

    clean_output(out)
    missing = [i for i in range(n) if not os.path.exists(os.path.join(out, f"part-{i:05d}.jsonl"))]
    if missing:
        print(f"error: partitions without output: {missing}", file=sys.stderr)
        return 2
    articles = sum(s["articles"] for s in stats)
    failures = sum(s["failures"] for s in stats)
    summary = {
        "partitions": n,
        "articles": articles,
        "failures": failures,
        "skipped_partitions": sum(1 for s in stats if s.get("skipped")),
        "wall_seconds": round(wall, 3),
        "task_seconds": round(sum(s["seconds"] for s in stats), 3),
        "output": out,
    }
    with open(os.path.join(out, "_stats.json"), "w") as f:
        json.dump({"summary": summary, "partitions": stats}, f, indent=1)
    open(os.path.join(out, "_SUCCESS"), "w").close()
    print(json.dumps(summary), file=sys.stderr)
    if args.import_db:
        import_results(args, out, n)
    return 0


def veracity_command_preview(cfg: dict) -> list[str]:
    """The worker command as the manifest records it (paths as given)."""
    cmd = [cfg["veracity"], "--threads", str(cfg["threads"]), "archive", "score", "--db", "-"]
    if cfg["model_dir"]:
        cmd += ["--model-dir", cfg["model_dir"]]
    for index in cfg["indexes"]:
        cmd += ["--index", index]
    if cfg["config"]:
        cmd += ["--config", cfg["config"]]
    return cmd + cfg["flags"] + ["-"]


def run_xref(args) -> int:
    """Build the archive's cross-reference index once (what `archive score
    --cross-references` builds beside its database), to pass as --index.
    `index add` has no --source-field: with one, the records go through a
    temporary copy whose `source` is that field."""
    cmd = [args.veracity] + (["--home", args.home] if args.home else [])
    if args.model_dir:
        cmd += ["--model-dir", args.model_dir]
    cmd += ["index", "add", "--index", args.index, "--kind", "cross-reference", "--dense"]
    for attr, flag in [("text_field", "--text-field"), ("title_field", "--title-field"),
                       ("id_field", "--id-field"), ("url_field", "--url-field"),
                       ("date_field", "--published-field")]:
        value = getattr(args, attr)
        if value is not None:
            cmd += [flag, value]
    inputs = check_inputs(args.inputs, False)
    tmp = None
    if args.source_field:
        tmp = tempfile.mkdtemp(prefix="veracity-xref-")
        inputs = [_with_source(p, args.source_field, args.source or default_source(p), tmp, i)
                  for i, p in enumerate(inputs)]
    elif args.source is not None:
        cmd += ["--source", args.source]
    cmd += inputs
    print("+ " + " ".join(cmd), file=sys.stderr)
    try:
        return subprocess.run(cmd).returncode
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def _with_source(path: str, field: str, fallback: str, tmp: str, i: int) -> str:
    """A copy of JSONL `path` whose records carry `source` = their `field`,
    else `fallback`, as `archive score --source-field` reads them (bad
    lines are passed on unchanged for `index add` to report)."""
    import bz2
    import gzip

    opener = gzip.open if path.endswith(".gz") else bz2.open if path.endswith(".bz2") else open
    out_path = os.path.join(tmp, f"{i}.jsonl")
    with opener(path, "rt", encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as out:
        for line in src:
            try:
                rec = json.loads(line)
                if isinstance(rec, dict):
                    value = rec.get(field)
                    rec["source"] = value if value not in (None, "") else fallback
                    line = json.dumps(rec, ensure_ascii=False) + "\n"
            except ValueError:
                pass
            out.write(line if line.endswith("\n") else line + "\n")
    return out_path


def parse_args(argv):
    p = argparse.ArgumentParser(description="Run `veracity archive score` on an Apache Spark cluster.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("score", help="score an archive on the cluster into per-partition JSONL results")
    s.add_argument("inputs", nargs="+", metavar="INPUT", help="JSONL files (.jsonl, .jsonl.gz, .jsonl.bz2), folders of them, or Parquet")
    s.add_argument("--output", required=True, help="result folder on storage every executor and the driver see")
    s.add_argument("--veracity", default=os.environ.get("VERACITY_BIN", "veracity"),
                   help="veracity binary (with --ship: on the driver; else: the path on every worker)")
    s.add_argument("--ship", action="store_true",
                   help="send binary, model, indexes and config to the executors with SparkContext.addFile")
    s.add_argument("--model-dir", help="model folder (config.json, tokenizer.json, model.safetensors)")
    s.add_argument("--home", help="veracity home on the workers (model store under models/)")
    s.add_argument("--index", action="append", default=[], metavar="DIR", help="evidence index, opened read-only; repeat")
    s.add_argument("--config", help="threshold overrides (TOML)")
    s.add_argument("--source", help="outlet of records without one (default: the input file's name)")
    for attr, flag in PASS_THROUGH:
        s.add_argument(flag, dest=attr)
    s.add_argument("--threads", type=int, help="veracity threads per task (default: spark.task.cpus)")
    s.add_argument("--partitions", type=int, help="partitions over all inputs (default: 2 x the cluster's cores)")
    s.add_argument("--parquet", action="store_true", help="inputs are Parquet datasets")
    s.add_argument("--resume", action="store_true", help="keep the part files of an earlier run of the same job")
    s.add_argument("--import-db", metavar="FILE", help="then `veracity archive import` the results into FILE")
    s.add_argument("--cross-references", action="store_true", help=argparse.SUPPRESS)
    s.add_argument("--no-preflight", action="store_true", help="do not check on the driver that veracity starts")
    s.add_argument("--master", help="Spark master URL (spark-submit's --master wins when given there)")
    s.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="Spark setting; repeat")
    s.add_argument("--app-name", default="veracity archive score")

    x = sub.add_parser("xref", help="build the archive's cross-reference index once, to ship as --index")
    x.add_argument("inputs", nargs="+", metavar="INPUT")
    x.add_argument("--index", required=True, metavar="DIR")
    x.add_argument("--veracity", default=os.environ.get("VERACITY_BIN", "veracity"))
    x.add_argument("--model-dir")
    x.add_argument("--home")
    x.add_argument("--source")
    for attr in ("text_field", "title_field", "id_field", "url_field", "date_field", "source_field"):
        x.add_argument("--" + attr.replace("_", "-"), dest=attr)
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "xref":
            if not os.path.isfile(args.veracity):
                raise SetupError(f"veracity binary not found: {args.veracity}")
            return run_xref(args)
        return run_score(args)
    except SetupError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
