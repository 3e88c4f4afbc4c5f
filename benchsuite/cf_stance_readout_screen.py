#!/usr/bin/env python3
"""Screen an encoder readout for Climate-FEVER evidence stance before building it into the
learned stance head: multinomial logistic regression (balanced classes) on the head's pair
features [u, v, |u-v|, u*v, u.v] (u: claim, v: evidence sentence), 5-fold cross-validation
grouped by claim, evidence-level macro-F1 over SUPPORTS / REFUTES / NOT_ENOUGH_INFO.

    python3 benchsuite/cf_stance_readout_screen.py prep ../shared/data/climate-fever/climate-fever.dev.jsonl /tmp/cf
    veracity embed /tmp/cf/sents.txt --format npy -o /tmp/cf/mean.npy                 # the sentence embedding
    veracity embed /tmp/cf/sents.txt --format npy -o /tmp/cf/w3.npy --with-layer 3    # + layer 3, one pass
    python3 benchsuite/cf_stance_readout_screen.py cv /tmp/cf mean w3

Needs numpy and scikit-learn.
"""
import collections
import json
import sys

import numpy as np

LABELS = {"SUPPORTS": 0, "REFUTES": 1, "NOT_ENOUGH_INFO": 2}


def prep(path, out):
    import os

    os.makedirs(out, exist_ok=True)
    rows, texts = [], set()
    for line in open(path, encoding="utf-8"):
        d = json.loads(line)
        claim = d["claim"].replace("\n", " ")
        for e in d["evidences"]:
            ev = e["evidence"].replace("\n", " ")
            rows.append((d["claim_id"], claim, ev, e["evidence_label"]))
            texts.update((claim, ev))
    open(f"{out}/sents.txt", "w", encoding="utf-8").write("\n".join(sorted(texts)) + "\n")
    json.dump(rows, open(f"{out}/rows.json", "w"))
    print(len(rows), "pairs,", len(texts), "distinct texts,", dict(collections.Counter(r[3] for r in rows)))


def cv(work, names):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import GroupKFold
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = json.load(open(f"{work}/rows.json"))
    idx = {s.rstrip("\n"): i for i, s in enumerate(open(f"{work}/sents.txt", encoding="utf-8"))}
    y = np.array([LABELS[r[3]] for r in rows])
    groups = np.array([r[0] for r in rows])
    ci = np.array([idx[r[1]] for r in rows])
    ei = np.array([idx[r[2]] for r in rows])
    for name in names:
        m = np.load(f"{work}/{name}.npy")
        u, v = m[ci], m[ei]
        x = np.hstack([u, v, np.abs(u - v), u * v, (u * v).sum(1, keepdims=True)])
        for c in (0.0001, 0.0002, 0.0005, 0.001, 0.003):
            pred = np.zeros(len(y), int)
            for tr, te in GroupKFold(5).split(x, y, groups):
                model = make_pipeline(StandardScaler(),
                                      LogisticRegression(C=c, max_iter=3000, class_weight="balanced"))
                model.fit(x[tr], y[tr])
                pred[te] = model.predict(x[te])
            print(f"{name:6} C={c:<7} evidence-level macro-F1 {f1_score(y, pred, average='macro'):.4f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "prep":
        prep(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 4 and sys.argv[1] == "cv":
        cv(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
