#!/usr/bin/env python3
"""Experiment (not shipped): does the harmonic rhythm help choose the tempo's metrical level?

Chords in pop music change every bar or half bar, so the period of the chord changes, in
seconds, sets a time scale that the onset periodicity lacks (Goto & Muraoka 1999 used chord
changes to find the beat-level hierarchy). This script adds, to each candidate of an
`eval_tempo --level-dump` file, the number of the candidate's beats in one period of the
harmonic-change envelope, so that `fit_tempo_level.py --features ...` can test it:

    python3 scripts/tempo/try_harmonic_rhythm.py --dump FEATS.jsonl --manifest MANIFEST --out AUG.jsonl [--k 10]
    python3 scripts/tempo/fit_tempo_level.py --train AUG.jsonl... --features z,z2,...,k,b1,b1sq

Needs numpy and librosa (for the chroma). Per track: chroma (librosa `chroma_stft`, n_fft 4096,
hop 1024 at 22050 Hz, L1-normalised per frame); the harmonic-change envelope
`h(t) = 1 - cos(mean chroma over [t-K, t), mean chroma over [t, t+K))` (K frames, silent
frames 0); its autocorrelation's highest peak between 1 and 8 s is the harmonic period `P1`,
the median distance between its peaks (above mean + std/2, at least K apart) is `P2`.
Features per candidate `c` BPM: `b1 = log2(P1 * c / 60 / 4)` (beats per harmonic period, in
octaves from 4) and `b1²`; `b2`, `b2²` the same with `P2`; `sh`, the envelope's autocorrelation
at 1-4 beats of `c`; `sh4`, its autocorrelation at 4 beats minus that at 2.

Result (2026-12-06, 5-fold CV grouping a song's variants, 2 splits, lam 0.003, the shipped
training set: pop909_extra with its 0.9 and 1.1 time-stretched renders and GiantSteps weighted
15): pop909_extra Acc1 0.857/0.867 with the shipped nine features, 0.867/0.870 with b1, b1²
(K = 10), 0.867/0.870 with b1, b1², b2, b2²; stretched 0.9: 0.732/0.734 -> 0.739/0.742; 1.1:
0.884/0.894 -> 0.889/0.896; GiantSteps unchanged; pop909_dev (never fitted) 0.775 -> 0.750
(0.9: 0.775 -> 0.775, 1.1: 0.825 -> 0.850). Trained on pop909_extra and GiantSteps alone the
gain was larger on pop909_extra (0.838/0.841 -> 0.853/0.862) but none on pop909_dev. Within
the noise of 414 songs and not kept: the fitted model already uses the onset rate and the band
shares, which carry most of what the harmonic period says about the level.
"""
import argparse
import json
import os

import numpy as np

SR = 22050
N_FFT = 4096
HOP = 1024
FPS = SR / HOP
PERIOD_RANGE_S = (1.0, 8.0)
SILENT_RATIO = 1e-3


def chroma(path):
    import librosa

    y, _ = librosa.load(path, sr=SR, mono=True)
    return librosa.feature.chroma_stft(y=y, sr=SR, n_fft=N_FFT, hop_length=HOP, norm=None).astype(float)


def envelope(C, k):
    e = C.sum(0)
    Cn = C / np.maximum(e, 1e-9)
    cs = np.concatenate([np.zeros((12, 1)), np.cumsum(Cn, 1)], 1)
    n = C.shape[1]
    h = np.zeros(n)
    for t in range(k, n - k):
        a = cs[:, t] - cs[:, t - k]
        b = cs[:, t + k] - cs[:, t]
        h[t] = 1 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)
    voiced = e[e > 0]
    gate = e > SILENT_RATIO * np.median(voiced) if voiced.size else np.zeros(n, bool)
    return h * gate


def autocorrelation(h):
    x = h - h.mean()
    f = np.fft.rfft(x, 2 * len(x))
    r = np.fft.irfft(f * np.conj(f))[: len(x)]
    return r / max(r[0], 1e-12)


def at(r, lag):
    i = int(lag)
    if i + 1 >= len(r):
        return 0.0
    f = lag - i
    return (1 - f) * r[i] + f * r[i + 1]


def acf_period(r):
    lo, hi = int(PERIOD_RANGE_S[0] * FPS), int(PERIOD_RANGE_S[1] * FPS)
    return (lo + int(np.argmax(r[lo:hi]))) / FPS


def peak_period(h, k):
    if h.std() == 0:
        return 2.0
    thr = h.mean() + 0.5 * h.std()
    peaks = [t for t in range(1, len(h) - 1) if h[t] >= thr and h[t] == h[max(0, t - k) : t + k + 1].max()]
    return float(np.median(np.diff(peaks))) / FPS if len(peaks) >= 3 else 4.0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dump", required=True)
    ap.add_argument("--manifest", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--k", type=int, default=10, help="half-window of the harmonic-change envelope, frames")
    args = ap.parse_args()
    base = os.path.dirname(args.manifest)
    paths = {}
    for line in open(args.manifest):
        if line.strip():
            d = json.loads(line)
            paths[d["id"]] = os.path.join(base, d["path"])
    with open(args.out, "w") as out:
        for line in open(args.dump):
            d = json.loads(line)
            if d["id"] not in paths:
                continue
            h = envelope(chroma(paths[d["id"]]), args.k)
            r = autocorrelation(h)
            p1, p2 = acf_period(r), peak_period(h, args.k)
            for c in d["candidates"]:
                beat = 60.0 / c["bpm"] * FPS
                b1 = np.log2(p1 * c["bpm"] / 60.0 / 4)
                b2 = np.log2(p2 * c["bpm"] / 60.0 / 4)
                sh = np.mean([at(r, m * beat) for m in (1, 2, 3, 4)])
                sh4 = at(r, 4 * beat) - at(r, 2 * beat)
                c["features"] = c["features"] + [float(v) for v in (sh, sh4, b1, b1 * b1, b2, b2 * b2)]
            d["names"] = d["names"] + ["sh", "sh4", "b1", "b1sq", "b2", "b2sq"]
            out.write(json.dumps(d) + "\n")


if __name__ == "__main__":
    main()
