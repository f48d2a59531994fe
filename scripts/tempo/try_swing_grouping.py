#!/usr/bin/env python3
"""Experiment (not shipped): a swing-tolerant metrical grouping for the tempo level.

The shipped feature `g(c) = A(c) * A(c/2)` (`analyzer-core/src/rhythm/level.rs`,
`metrical_alternation`) reads the off-beat of the comb's level `b*` at the midpoint between two
beats. Swung eighths fall later, up to 2/3 of the beat (swing ratios up to 2:1, Friberg &
Sundström 2002), outside the +-25 ms window, so a swung level looks as if its off-beats were
silent and is more readily halved. This variant takes the off-beat's strength as the envelope's
maximum anywhere from 1/2 to 2/3 of the beat (plus the window) and recomputes `g` on the
candidates of a level dump, with the same clipping at -4 as the crate:

    eval_tempo MANIFEST --level prior --level-dump FEATS.jsonl --dump ENVDIR --out BEATS.jsonl
    python3 scripts/tempo/try_swing_grouping.py FEATS.jsonl ENVDIR BEATS.jsonl OUT.jsonl swing|straight
    python3 scripts/tempo/fit_tempo_level.py --train OUT.jsonl... --lam 0.001 --splits 2

(`BEATS.jsonl`: the beats tracked at `b*`, which `--level prior` reports.) Needs numpy.

Result (2026-12-06, the shipped training set and folds): `straight` reproduces the crate's
fit (weights within 0.03); `swing` gives pop909_extra 0.865-0.872 (straight 0.865), stretched 0.9
0.802-0.804 (0.800-0.802), 1.1 0.886-0.896 (0.891-0.896), GiantSteps 1.000 (1.000), pop909_dev
0.850 (0.850). On the jazz example `vibe_ace` it lowers g at 130 BPM from 1.03 to 0.63, not
enough to change the choice (65 BPM; five of six peers say 130), and it changes no choice on the
other real examples. Not kept: no measurable effect on the labelled sets, and none of them
swings.
"""
import json
import os
import sys

import numpy as np

FPS = 22050 / 256  # the onset envelope's frame rate (hop 256 at 22050 Hz)
HALF_WIDTH = 2  # frames, round(0.025 s * FPS): DEFAULT_ALTERNATION_HALF_WIDTH_S
MIN_BEATS = 8  # MIN_ALTERNATION_BEATS
MIN_LOG_RATIO = -4.0  # ALTERNATION_MIN_LOG_RATIO
FLOOR = 1e-6  # ALTERNATION_STRENGTH_FLOOR
SWING_LATEST = 2.0 / 3.0  # latest off-beat position, as a fraction of the beat


def strength(e, t):
    """The envelope's maximum within HALF_WIDTH frames of each time in `t` (seconds)."""
    f = np.clip(np.round(t * FPS).astype(int), 0, len(e) - 1)
    idx = np.clip(f[:, None] + np.arange(-HALF_WIDTH, HALF_WIDTH + 1)[None, :], 0, len(e) - 1)
    return e[idx].max(1)


def span_strength(e, a, b):
    """The envelope's maximum from each time in `a` to the one in `b` (seconds), widened by HALF_WIDTH."""
    out = []
    for x, y in zip(np.round(a * FPS).astype(int), np.round(b * FPS).astype(int)):
        lo, hi = max(0, x - HALF_WIDTH), min(len(e) - 1, y + HALF_WIDTH)
        out.append(e[lo : hi + 1].max() if hi >= lo else 0.0)
    return np.array(out)


def log_ratio(off, on):
    return max(float(np.log(max(off, FLOOR) / max(on, FLOOR))), MIN_LOG_RATIO)


def alternation(e, b, swing):
    """{octave: A} for 2b* (1), b* (0), b*/2 (-1), b*/4 (-2), as `metrical_alternation`."""
    s = strength(e, b)
    if swing:
        m = span_strength(e, (b[:-1] + b[1:]) / 2, b[:-1] * (1 - SWING_LATEST) + b[1:] * SWING_LATEST)
    else:
        m = strength(e, (b[:-1] + b[1:]) / 2)
    q = strength(e, np.concatenate([b[:-1] * 0.75 + b[1:] * 0.25, b[:-1] * 0.25 + b[1:] * 0.75]))
    two = [s[0::2].mean(), s[1::2].mean()]
    four = [s[k::4].mean() for k in range(4)]
    k = int(np.argmax(four))
    return {
        1: log_ratio(q.mean(), np.concatenate([s, m]).mean()),
        0: log_ratio(m.mean(), s.mean()),
        -1: log_ratio(min(two), max(two)),
        -2: log_ratio(four[(k + 2) % 4], four[k]),
    }


def main():
    dump, envdir, beats_path, dst, mode = sys.argv[1:6]
    beats = {}
    for line in open(beats_path):
        d = json.loads(line)
        beats[d["id"]] = np.array(d["beats"], dtype=float)
    with open(dst, "w") as out:
        for line in open(dump):
            d = json.loads(line)
            path = os.path.join(envdir, d["id"] + ".env")
            b = beats.get(d["id"])
            a = {1: 0.0, 0: 0.0, -1: 0.0, -2: 0.0}
            if os.path.exists(path) and b is not None and len(b) >= MIN_BEATS:
                a = alternation(np.fromfile(path, dtype="<f4").astype(float), b, mode == "swing")
            g = d["names"].index("g")
            for c in d["candidates"]:
                c["features"][g] = a.get(c["octave"], 0.0) * a.get(c["octave"] - 1, 0.0)
            out.write(json.dumps(d) + "\n")


if __name__ == "__main__":
    main()
