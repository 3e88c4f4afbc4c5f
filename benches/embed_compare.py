#!/usr/bin/env python3
"""Side-by-side CPU embedding throughput: veracity vs sentence-transformers vs ONNX Runtime.

Every system embeds the same sentence file with the same all-MiniLM-L6-v2 weights
and thread count. Systems run in interleaved rounds (each in its own process, model
load excluded from timing), so machine noise hits them alike; the report gives the
median sentences/s per system, the ratio to sentence-transformers, single-article
latency, peak memory, and the cosine of each system's vectors to
sentence-transformers' (the reference).

Set-up (once):
    python3 -m venv /tmp/stenv
    /tmp/stenv/bin/pip install sentence-transformers onnxruntime onnx
    cargo build --release
Sentences (2,000 news sentences from the BBC archive; not committed, research licence):
    /tmp/stenv/bin/python benches/embed_compare.py --make-sentences ../shared/data/bbc-news/bbc-news.jsonl \
        --sentences /tmp/bbc-2000.txt
Run:
    /tmp/stenv/bin/python benches/embed_compare.py --sentences /tmp/bbc-2000.txt --threads 2 \
        --out benchsuite/runs/embed-compare-$(date +%F).txt
"""
import argparse
import json
import os
import pathlib
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent
DEFAULT_MODEL_DIR = pathlib.Path(
    os.environ.get("VERACITY_HOME", pathlib.Path.home() / ".local/share/veracity")
) / "models/all-MiniLM-L6-v2"


def make_sentences(jsonl, path, n=2000, stride=7):
    """Every `stride`-th sentence (4+ words) of the archive, in file order, until n."""
    out = []
    with open(jsonl, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            for para in rec["text"].split("\n"):
                for s in re.split(r'(?<=[.!?])\s+(?=[A-Z"])', para.strip()):
                    s = s.strip()
                    if len(s.split()) >= 4:
                        out.append(s)
            if len(out) >= n * stride:
                break
    sel = out[::stride][:n]
    pathlib.Path(path).write_text("\n".join(sel) + "\n", encoding="utf-8")
    print(f"wrote {len(sel)} sentences to {path}", file=sys.stderr)


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def timed(fn, warmup, repeats):
    for _ in range(warmup):
        fn()
    secs, out = [], None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        secs.append(time.perf_counter() - t)
    return secs, out


def article_ms(fn, repeats=20):
    fn()
    ms = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        ms.append((time.perf_counter() - t) * 1e3)
    return statistics.median(ms)


def worker_st(a, sentences):
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    torch.set_num_threads(a.threads)
    model = SentenceTransformer(str(a.model_dir), device="cpu")
    model.max_seq_length = 256

    def enc(xs):
        return model.encode(xs, batch_size=a.batch, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)

    secs, vecs = timed(lambda: enc(sentences), a.warmup, a.repeats)
    np.save(a.npy, vecs.astype(np.float32))
    lat = article_ms(lambda: enc(sentences[:40]))
    return {"system": "sentence-transformers", "version": f"torch {torch.__version__}",
            "seconds": secs, "article_ms": lat}


def export_onnx(model_dir, path):
    import torch
    from transformers import AutoModel

    class Wrapped(torch.nn.Module):
        """Keyword call, since BertModel.forward's positional order varies by version."""

        def __init__(self):
            super().__init__()
            self.bert = AutoModel.from_pretrained(str(model_dir)).eval()

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    model = Wrapped().eval()
    ids = torch.ones(2, 16, dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, ids, torch.zeros_like(ids)), str(path),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "seq"} for n in
                          ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
            opset_version=17, dynamo=False)


def worker_ort(a, sentences):
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer

    onnx_path = pathlib.Path(a.work) / "all-MiniLM-L6-v2.onnx"
    if not onnx_path.exists():
        export_onnx(a.model_dir, onnx_path)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = a.threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    tok = Tokenizer.from_file(str(pathlib.Path(a.model_dir) / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(256)

    def enc(xs):
        encs = tok.encode_batch(xs)
        order = sorted(range(len(xs)), key=lambda i: -len(encs[i].ids))
        out = np.zeros((len(xs), 384), dtype=np.float32)
        for s in range(0, len(order), a.batch):
            idx = order[s:s + a.batch]
            width = max(len(encs[i].ids) for i in idx)
            ids = np.zeros((len(idx), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for r, i in enumerate(idx):
                n = len(encs[i].ids)
                ids[r, :n] = encs[i].ids
                mask[r, :n] = 1
            h = sess.run(None, {"input_ids": ids, "attention_mask": mask,
                                "token_type_ids": np.zeros_like(ids)})[0]
            m = mask[:, :, None].astype(np.float32)
            pooled = (h * m).sum(1) / np.clip(m.sum(1), 1e-9, None)
            pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
            out[idx] = pooled
        return out

    secs, vecs = timed(lambda: enc(sentences), a.warmup, a.repeats)
    np.save(a.npy, vecs)
    lat = article_ms(lambda: enc(sentences[:40]))
    return {"system": "onnxruntime", "version": f"onnxruntime {ort.__version__}",
            "seconds": secs, "article_ms": lat}


def run_veracity(a, backend, npy):
    cmd = [str(a.veracity), "--threads", str(a.threads), "--backend", backend,
           "--model-dir", str(a.model_dir), "bench", "embed", "--sentences", str(a.sentences),
           "--repeats", str(a.repeats), "--warmup", str(a.warmup), "--output", str(npy), "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"veracity --backend {backend} failed:\n{proc.stderr[-3000:]}")
    r = json.loads(proc.stdout)
    return {"system": f"veracity-{backend}", "version": "veracity " + r["backend"],
            "seconds": r["seconds"], "article_ms": r["article_ms_median"],
            "peak_rss_mb": r["peak_rss_mb"], "tokens": r["tokens"]}


def run_python_worker(a, system, npy):
    cmd = [sys.executable, __file__, "--worker", system, "--sentences", str(a.sentences),
           "--threads", str(a.threads), "--batch", str(a.batch), "--repeats", str(a.repeats),
           "--warmup", str(a.warmup), "--model-dir", str(a.model_dir), "--work", str(a.work),
           "--npy", str(npy)]
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), MKL_NUM_THREADS=str(a.threads),
               TOKENIZERS_PARALLELISM="false")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        sys.exit(f"{system} worker failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sentences", type=pathlib.Path, required=True, help="one sentence per line")
    p.add_argument("--make-sentences", metavar="BBC_JSONL", help="write --sentences from this archive and exit")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--batch", type=int, default=32, help="batch size for the Python systems")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds over all systems")
    p.add_argument("--repeats", type=int, default=2, help="timed passes per system per round")
    p.add_argument("--warmup", type=int, default=1, help="untimed passes per system per round")
    p.add_argument("--systems", default="st,ort,native,candle",
                   help="comma list of st, ort, native, candle")
    p.add_argument("--veracity", type=pathlib.Path, default=ROOT / "target/release/veracity")
    p.add_argument("--model-dir", type=pathlib.Path, default=DEFAULT_MODEL_DIR)
    p.add_argument("--work", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "veracity-embed-compare")
    p.add_argument("--out", type=pathlib.Path, help="also write the report here")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--npy", help=argparse.SUPPRESS)
    a = p.parse_args()

    if a.make_sentences:
        make_sentences(a.make_sentences, a.sentences)
        return
    sentences = a.sentences.read_text(encoding="utf-8").splitlines()
    if a.worker:
        r = {"st": worker_st, "ort": worker_ort}[a.worker](a, sentences)
        r["peak_rss_mb"] = peak_rss_mb()
        print(json.dumps(r))
        return

    import numpy as np

    a.work.mkdir(parents=True, exist_ok=True)
    systems = [s.strip() for s in a.systems.split(",") if s.strip()]
    results = {s: {"seconds": [], "article_ms": [], "peak_rss_mb": []} for s in systems}
    for rnd in range(a.rounds):
        for s in systems:
            npy = a.work / f"{s}.npy"
            r = run_veracity(a, s, npy) if s in ("native", "candle") else run_python_worker(a, s, npy)
            print(f"round {rnd + 1}/{a.rounds} {s}: {['%.3f' % x for x in r['seconds']]} s", file=sys.stderr)
            res = results[s]
            res["label"], res["version"] = r["system"], r["version"]
            res["seconds"] += r["seconds"]
            res["article_ms"].append(r["article_ms"])
            res["peak_rss_mb"].append(r["peak_rss_mb"])

    n = len(sentences)
    ref = np.load(a.work / "st.npy") if "st" in systems else None
    base = statistics.median(results["st"]["seconds"]) if "st" in systems else None
    lines = [
        f"# {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())} embed_compare.py",
        f"# machine: {cpu_model()}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}; "
        f"load average before: {os.getloadavg()[0]:.2f}",
        f"# sentences: {a.sentences} ({n} lines), threads {a.threads}, Python batch {a.batch}, "
        f"{a.rounds} interleaved rounds x {a.repeats} timed passes (+{a.warmup} warm-up) per system",
        f"# command: {' '.join(sys.argv)}",
        "",
        f"{'system':<24} {'sent/s':>8} {'vs ST':>6} {'article ms':>11} {'peak MB':>8} {'min cos':>9} {'mean cos':>9}",
    ]
    for s in systems:
        r = results[s]
        med = statistics.median(r["seconds"])
        ratio = f"{base / med:.2f}x" if base else "-"
        cos = "-", "-"
        if ref is not None:
            v = np.load(a.work / f"{s}.npy")
            c = (v * ref).sum(1) / (np.linalg.norm(v, axis=1) * np.linalg.norm(ref, axis=1))
            cos = f"{c.min():.7f}", f"{c.mean():.7f}"
        lines.append(f"{r['label']:<24} {n / med:>8.1f} {ratio:>6} {statistics.median(r['article_ms']):>11.1f} "
                     f"{max(r['peak_rss_mb']):>8.0f} {cos[0]:>9} {cos[1]:>9}")
    lines.append("")
    lines += [f"# {results[s]['label']}: {results[s]['version']}; pass seconds {['%.3f' % x for x in results[s]['seconds']]}"
              for s in systems]
    report = "\n".join(lines) + "\n"
    print(report)
    if a.out:
        a.out.write_text(report)


if __name__ == "__main__":
    main()
