#!/usr/bin/env python3
"""Screen a sentence representation for PTC propaganda detection before building it into
the propaganda heads: logistic regression, 5-fold cross-validation by article, the
F1-optimal threshold chosen on 3 inner folds of each training part (as the shipped heads do).

    python3 benchsuite/ptc_pooling_screen.py prep ../shared/data/ptc /tmp/ptc   # sentences + labels
    veracity embed /tmp/ptc/sents.txt --format npy -o /tmp/ptc/mean.npy               # all 6 layers
    veracity embed /tmp/ptc/sents.txt --format npy -o /tmp/ptc/max.npy --pooling max
    veracity embed /tmp/ptc/sents.txt --format npy -o /tmp/ptc/l3.npy --layers 3      # earlier layers
    veracity embed /tmp/ptc/sents.txt --format npy -o /tmp/ptc/l4.npy --layers 4
    python3 benchsuite/ptc_pooling_screen.py cv /tmp/ptc mean,max,l3,l4 mean max mean+max l3 l4 mean+l4 l3+l4

Each argument after the matrix names is one representation (names joined by + are
concatenated); each is scored at two regularisation strengths.

Needs numpy and scikit-learn. A sentence (non-empty line) is positive when a gold technique
span (character offsets, train-task2-TC.labels) overlaps it, as in `veracity eval propaganda`.
"""
import collections
import json
import os
import sys

import numpy as np


def prep(ptc, out):
    spans = collections.defaultdict(list)
    for line in open(f"{ptc}/train-task2-TC.labels"):
        art, _tech, s, e = line.rstrip("\n").split("\t")
        spans[art].append((int(s), int(e)))
    rows = []
    for fn in sorted(os.listdir(f"{ptc}/train-articles")):
        art = fn[len("article"):-len(".txt")]
        text = open(f"{ptc}/train-articles/{fn}", encoding="utf-8").read()
        pos = 0
        for line in text.split("\n"):
            s, e = pos, pos + len(line)
            pos = e + 1
            if line.strip():
                rows.append((art, line, int(any(a < e and b > s for a, b in spans[art]))))
    os.makedirs(out, exist_ok=True)
    uniq = sorted({r[1] for r in rows})
    open(f"{out}/sents.txt", "w").write("\n".join(uniq) + "\n")
    json.dump(rows, open(f"{out}/rows.json", "w"))
    print(f"{len(rows)} sentences ({len(uniq)} distinct), {sum(r[2] for r in rows) / len(rows):.3f} positive, "
          f"{len({r[0] for r in rows})} articles")


def cv(work, names, specs):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score, precision_recall_curve
    from sklearn.model_selection import GroupKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rows = json.load(open(f"{work}/rows.json"))
    idx = {s.rstrip("\n"): i for i, s in enumerate(open(f"{work}/sents.txt"))}
    mats = {k: np.load(f"{work}/{k}.npy") for k in names.split(",")}
    y = np.array([r[2] for r in rows])
    groups = np.array([r[0] for r in rows])
    ii = np.array([idx[r[1]] for r in rows])

    def best_threshold(p, y):
        pr, rc, th = precision_recall_curve(y, p)
        f = 2 * pr * rc / np.maximum(pr + rc, 1e-9)
        return th[np.nanargmax(f[:-1])]

    for spec in specs:
        X = np.hstack([mats[p][ii] for p in spec.split("+")])
        for C in (0.003, 0.01):
            pred = np.zeros(len(y), bool)
            for tr, te in GroupKFold(5).split(X, y, groups):
                m = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=2000))
                oof = cross_val_predict(m, X[tr], y[tr], groups=groups[tr], cv=GroupKFold(3),
                                        method="predict_proba")[:, 1]
                t = best_threshold(oof, y[tr])
                m.fit(X[tr], y[tr])
                pred[te] = m.predict_proba(X[te])[:, 1] >= t
            print(f"{spec:12} C={C:<5} held-out sentence F1 {f1_score(y, pred):.4f}", flush=True)


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "prep":
        prep(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 5 and sys.argv[1] == "cv":
        cv(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit(__doc__)
