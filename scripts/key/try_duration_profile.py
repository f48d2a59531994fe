#!/usr/bin/env python3
"""Experiment (not shipped): a key model whose templates depend on the clip's duration.

The shipped `learned` profile (`fit_key_profile.py`) is fitted on whole tracks (90 s renders,
2-minute GiantSteps previews). Here the templates are

    W(d) = W_full + u(d) W1,   c_major(d) = c_full + u(d) c1,   u(d) = log2(min(max(d, 2), D_REF) / D_REF)

so clips of D_REF seconds and longer keep the whole-track model (fitted exactly as shipped, on
the whole tracks), and W1, c1 are fitted on excerpts shorter than D_REF (L2 penalty `--lam1`
pulling W1 to 0). Reported: MIREX per excerpt length, 5-fold cross-validated with a song's
excerpts and whole track in the same fold, next to the whole-track model alone.

Data: excerpts from 20 s in (`benches/python/excerpt_manifest.py MANIFEST D DIR/dD`) of every
track of the training sets, frames dumped by eval_key (`KEY_DUMP_DIR=DUMP/dD`), whole tracks
dumped into `--full-dump`:

    for d in 2 3 4 5 6 8 10 15 20 30 45; do
      python3 benches/python/excerpt_manifest.py /tmp/pop909_ext/manifest.jsonl $d /tmp/short_ext/d$d
      KEY_DUMP_DIR=/tmp/kd_extshort/d$d target/release/eval_key /tmp/short_ext/d$d/manifest.jsonl /tmp/k.jsonl
    done   # the same for giantsteps_dev into /tmp/short_gs, /tmp/kd_gsshort
    python3 scripts/key/try_duration_profile.py --sets /tmp/pop909_ext/manifest.jsonl:/tmp/short_ext:/tmp/kd_extshort \
        ../shared/evaldata/giantsteps_dev/manifest.jsonl:/tmp/short_gs:/tmp/kd_gsshort --full-dump /tmp/kdump

Result (2026-12-07): see docs/ACCURACY.md (Key on short clips). Needs numpy and scipy.
"""
import argparse
import os
import sys

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fit_key_profile as fk  # noqa: E402

LENGTHS = [2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45]
HOP_S = 4096 / 22050  # the key STFT's hop at the analysis rate (one dumped frame)
MIN_D = 2.0


def tracks(manifest, dump, group):
    """(group, (tonic, mode), 12x12 rotated z-scored profile, duration s, id) per labelled track."""
    out = []
    for name, gt, x, n_frames, tid in fk.load_with_frames(manifest, dump):
        out.append((group, gt, x, n_frames * HOP_S, tid))
    return out


def u_of(d, d_ref):
    return np.log2(np.clip(d, MIN_D, d_ref) / d_ref)


def scores(x, u, w0, c0, w1, c1):
    w = w0[None] + u[:, None, None] * w1[None]
    s = np.einsum("ntj,nmj->nmt", x, w)
    s[:, 1, :] += (c0 + u * c1)[:, None]
    return s.reshape(len(x), 24)


def fit_slope(full_model, data, d_ref, lam1, w_gs):
    x = np.stack([t[2] for t in data])
    y = np.array([fk.key_index(t[1]) for t in data])
    u = u_of(np.array([t[3] for t in data]), d_ref)
    sw = fk.sample_weights(data, w_gs)
    w0, c0 = full_model.th[:24].reshape(2, 12), full_model.th[24]

    def loss(th):
        w1, c1 = th[:24].reshape(2, 12), th[24]
        val, g = fk.weighted_nll(scores(x, u, w0, c0, w1, c1), y, sw)
        val += lam1 * (w1 ** 2).sum()
        grad_w = np.einsum("n,nmt,ntj->mj", u, g, x) + 2 * lam1 * w1
        return val, np.concatenate([grad_w.ravel(), [(u * g[:, 1, :].sum(1)).sum()]])

    th = minimize(loss, np.zeros(25), jac=True, method="L-BFGS-B").x
    return th[:24].reshape(2, 12), th[24]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sets", nargs="+", required=True, help="MANIFEST:EXCERPT_DIR:EXCERPT_DUMP_DIR")
    ap.add_argument("--full-dump", required=True)
    ap.add_argument("--d-ref", type=float, default=60.0)
    ap.add_argument("--lam1", type=float, default=10.0)
    ap.add_argument("--w-giantsteps", type=float, default=5.0)
    ap.add_argument("--splits", type=int, default=2)
    a = ap.parse_args()
    data = []  # (length or "full", track)
    for spec in a.sets:
        manifest, exc_dir, exc_dump = spec.split(":")
        group = "giantsteps" if "giantsteps" in manifest else "pop"
        data += [("full", t) for t in tracks(manifest, a.full_dump, group)]
        for d in LENGTHS:
            m = os.path.join(exc_dir, f"d{d}", "manifest.jsonl")
            if os.path.exists(m):
                data += [(d, t) for t in tracks(m, os.path.join(exc_dump, f"d{d}"), group)]
    ids = sorted({t[4] for _, t in data})
    for seed in range(a.splits):
        perm = np.random.RandomState(seed).permutation(len(ids))
        fold = {ids[i]: k % 5 for k, i in enumerate(perm)}
        res = {}
        for k in range(5):
            train = [(L, t) for L, t in data if fold[t[4]] != k]
            full = fk.Model(10.0, 10.0, a.w_giantsteps).fit([(t[0], t[1], t[2]) for L, t in train if L == "full"])
            w1, c1 = fit_slope(full, [t for L, t in train if L != "full" and t[3] < a.d_ref], a.d_ref, a.lam1, a.w_giantsteps)
            test = [(L, t) for L, t in data if fold[t[4]] == k]
            x = np.stack([t[2] for _, t in test])
            u = u_of(np.array([t[3] for _, t in test]), a.d_ref)
            w0, c0 = full.th[:24].reshape(2, 12), full.th[24]
            for name, s in [("whole-track model", scores(x, u, w0, c0, 0 * w1, 0.0)), ("duration model", scores(x, u, w0, c0, w1, c1))]:
                for (L, t), i in zip(test, s.argmax(1)):
                    res.setdefault((name, t[0], L), []).append(fk.mirex((int(i) % 12, int(i) // 12), t[1]))
        print(f"split {seed}: MIREX by excerpt length {LENGTHS} and whole track (d_ref {a.d_ref:g} s, lam1 {a.lam1:g})")
        for group in ("pop", "giantsteps"):
            for name in ("whole-track model", "duration model"):
                row = [np.mean(res[(name, group, L)]) for L in LENGTHS + ["full"] if (name, group, L) in res]
                print(f"  {group:10s} {name:17s} " + " ".join(f"{v:.3f}" for v in row))


if __name__ == "__main__":
    main()
