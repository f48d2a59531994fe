#!/usr/bin/env python3
"""Fits the `learned` key profile of analyzer-core (`KeyProfile::Learned`) and reports its
cross-validated MIREX scores. Opt-in; needs numpy and scipy.

The model is the Krumhansl-Schmuckler key finder with fitted templates: for a track's
salience-weighted pitch-class profile g (the frames of `tonal_frames`, averaged with
`TonalFrames::weights`), the score of key (tonic t, mode m) is

    s(t, m) = W_m . z(g rotated so that t is index 0) + c_m          (c_minor = 0)

with z() the z-score. It is trained by multinomial logistic regression over the 24 keys (every
rotation shares W_m, so 25 parameters), with an L2 penalty pulling W_m towards `lam_prior` times
the z-scored published `bgate` templates (Faraldo et al. 2017) with weight `lam`. Each
GiantSteps track counts `w_giantsteps` times, so the 46 EDM tracks are not drowned by the pop
renders.

The crate stores the same model in correlation units: template_m = z(W_m), weight_m =
std(W_m) / mean(std), offset_major = c_major / (12 * mean(std)), so that
r'(t, m) = weight_m * corr(g_t, template_m) + offset_m has the same argmax as s, and
softmax_scale = 12 * mean(std) turns r' back into s (the model's logits: key probabilities,
which the crate uses as confidences).

Usage (frames dumped by eval_key, see benches/src/bin/eval_key.rs):

    export KEY_DUMP_DIR=/tmp/kdump
    cargo run --release -p analyzer-benches --bin eval_key -- MANIFEST /tmp/k.jsonl    # each manifest
    python3 scripts/key/fit_key_profile.py --train POP909_EXTRA/manifest.jsonl \
        ../shared/evaldata/giantsteps_dev/manifest.jsonl \
        --test ../shared/evaldata/pop909_dev/manifest.jsonl --dump /tmp/kdump

`--train` sets are fitted on (GiantSteps is recognised by its directory name and also
cross-validated in 5 folds, 3 splits); `--test` sets are only scored, with the MIREX weights of
the peer harness (`../shared/eval/score.py`, or `$EVAL_DIR/score.py`). Prints the scores and
the Rust constants for `analyzer-core/src/tonal/profiles.rs`.
"""
import argparse
import json
import os
import sys

import numpy as np
from scipy.optimize import minimize

# The peer harness (../shared/eval beside the repository, or $EVAL_DIR): key parsing and scoring.
sys.path.insert(0, os.environ.get("EVAL_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "eval"))
import evalcommon  # noqa: E402
import score  # noqa: E402

MODES = ("minor", "major")  # index = Spotify's mode
BGATE_MAJOR = np.array([1.0, 0, 0.42, 0, 0.53, 0.37, 0, 0.77, 0, 0.38, 0.21, 0.30])
BGATE_MINOR = np.array([1.0, 0, 0.36, 0.39, 0, 0.38, 0, 0.74, 0.27, 0, 0.42, 0.23])
FRAME_VALUES = 25  # weight, 12 pitch classes, 12 bass pitch classes


def parse_key(label):
    """(tonic, mode) with mode 1 = major, or None, via the harness's parser."""
    parsed = evalcommon.parse_key(label)
    return None if parsed is None else (parsed[0], MODES.index(parsed[1]))


def mirex(est, gt):
    """The harness's MIREX weighted score of two (tonic, mode) pairs."""
    name = lambda k: evalcommon.spotify_key(k[0], k[1])  # noqa: E731
    return score.key_score(name(est), name(gt))


def zscore(x):
    x = np.asarray(x, float)
    s = x.std(axis=-1, keepdims=True)
    s[s == 0] = 1
    return (x - x.mean(axis=-1, keepdims=True)) / s


def rotations(v):
    """Row t: v rotated so that pitch class t comes first."""
    return np.stack([np.roll(v, -t) for t in range(12)])


def load_with_frames(manifest, dump):
    """Tracks with a key label and dumped frames: (set name, (tonic, mode), 12 x 12 features,
    number of frames, id)."""
    name = os.path.basename(os.path.dirname(os.path.abspath(manifest)))
    out = []
    for line in open(manifest):
        row = json.loads(line)
        gt = parse_key(row.get("key"))
        path = os.path.join(dump, row["id"] + ".frames")
        if gt is None or not os.path.exists(path):
            continue
        a = np.fromfile(path, dtype="<f4").reshape(-1, FRAME_VALUES).astype(float)
        w = a[:, 0]
        ok = np.isfinite(w) & (w > 0) & np.isfinite(a[:, 1:13]).all(1)
        if not ok.any():
            continue
        g = (a[ok, 1:13] * w[ok, None]).sum(0) / w[ok].sum()
        out.append((name, gt, zscore(rotations(g)), len(a), row["id"]))
    return out


def load(manifest, dump):
    """Tracks with a key label and dumped frames: (set name, (tonic, mode), 12 x 12 features)."""
    return [t[:3] for t in load_with_frames(manifest, dump)]


def key_index(gt):
    return gt[1] * 12 + gt[0]  # minor 0..11, major 12..23


def sample_weights(tracks, w_giantsteps):
    """Each GiantSteps track counts `w_giantsteps` times (recognised by its set name)."""
    return np.array([w_giantsteps if "giantsteps" in t[0] else 1.0 for t in tracks])


def weighted_nll(s, y, sw):
    """The weighted negative log-likelihood of the labels `y` under softmax(`s`) over the 24
    keys, and its gradient with respect to `s`, shaped (tracks, mode, tonic)."""
    s = s - s.max(1, keepdims=True)
    p = np.exp(s)
    p /= p.sum(1, keepdims=True)
    val = -(sw * np.log(p[np.arange(len(y)), y] + 1e-12)).sum()
    g = p.copy()
    g[np.arange(len(y)), y] -= 1
    return val, (g * sw[:, None]).reshape(len(y), 2, 12)


class Model:
    def __init__(self, lam, lam_prior, w_giantsteps):
        self.lam, self.lam_prior, self.w_gs = lam, lam_prior, w_giantsteps

    def scores(self, th, x):
        w = th[:24].reshape(2, 12)
        c = np.array([0.0, th[24]])
        return (np.einsum("ntj,mj->nmt", x, w) + c[None, :, None]).reshape(len(x), 24)

    def fit(self, tracks):
        x = np.stack([t[2] for t in tracks])
        y = np.array([key_index(t[1]) for t in tracks])
        sw = sample_weights(tracks, self.w_gs)
        w0 = np.concatenate([zscore(BGATE_MINOR), zscore(BGATE_MAJOR)]) * self.lam_prior / 12

        def loss(th):
            val, g = weighted_nll(self.scores(th, x), y, sw)
            val += self.lam * ((th[:24] - w0) ** 2).sum()
            grad_w = np.einsum("nmt,ntj->mj", g, x).ravel() + 2 * self.lam * (th[:24] - w0)
            return val, np.concatenate([grad_w, [g[:, 1, :].sum()]])

        self.th = minimize(loss, np.concatenate([w0, [0.0]]), jac=True, method="L-BFGS-B").x
        return self

    def predict(self, tracks):
        s = self.scores(self.th, np.stack([t[2] for t in tracks]))
        return [(int(i) % 12, int(i) // 12) for i in s.argmax(1)]


def mean_mirex(model, tracks):
    return float(np.mean([mirex(e, t[1]) for e, t in zip(model.predict(tracks), tracks)]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", nargs="+", required=True)
    ap.add_argument("--test", nargs="*", default=[])
    ap.add_argument("--dump", default=os.environ.get("KEY_DUMP_DIR", "/tmp/kdump"))
    ap.add_argument("--lam", type=float, default=10.0)
    ap.add_argument("--lam-prior", type=float, default=10.0)
    ap.add_argument("--w-giantsteps", type=float, default=5.0)
    a = ap.parse_args()
    train = [t for m in a.train for t in load(m, a.dump)]
    tests = {m: load(m, a.dump) for m in a.test}
    gs = [t for t in train if "giantsteps" in t[0]]
    rest = [t for t in train if "giantsteps" not in t[0]]
    print(f"train: {len(train)} tracks ({len(gs)} GiantSteps)")
    new = lambda: Model(a.lam, a.lam_prior, a.w_giantsteps)  # noqa: E731
    if gs:
        for seed in range(3):
            order = np.random.RandomState(seed).permutation(len(gs))
            pred = {}
            for k in range(5):
                held = set(order[k::5].tolist())
                m = new().fit(rest + [gs[i] for i in range(len(gs)) if i not in held])
                for i in held:
                    pred[i] = m.predict([gs[i]])[0]
            cv = np.mean([mirex(pred[i], gs[i][1]) for i in range(len(gs))])
            print(f"GiantSteps 5-fold CV (split {seed}): MIREX {cv:.3f}")
    model = new().fit(train)
    for name, ts in [("train (in sample)", train)] + list(tests.items()):
        if ts:
            print(f"{name}: n={len(ts)} MIREX {mean_mirex(model, ts):.3f}")
    w = model.th[:24].reshape(2, 12)
    std = w.std(1)
    scale = std.mean()
    minor, major = zscore(w[0]), zscore(w[1])
    fmt = lambda v: ", ".join(f"{x:.4f}" for x in v)  # noqa: E731
    print("\n// Rust constants (analyzer-core/src/tonal/profiles.rs)")
    print(f"pub const LEARNED_MAJOR: [f32; PITCH_CLASSES] = [{fmt(major)}];")
    print(f"pub const LEARNED_MINOR: [f32; PITCH_CLASSES] = [{fmt(minor)}];")
    print(f"pub const LEARNED_MAJOR_WEIGHT: f32 = {std[1] / scale:.4f};")
    print(f"pub const LEARNED_MINOR_WEIGHT: f32 = {std[0] / scale:.4f};")
    print(f"pub const LEARNED_MAJOR_OFFSET: f32 = {model.th[24] / (12 * scale):.4f};")
    print(f"pub const LEARNED_SOFTMAX_SCALE: f32 = {12 * scale:.4f};")


if __name__ == "__main__":
    main()
