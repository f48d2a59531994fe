#!/usr/bin/env python3
"""Accuracy1 against a manifest's `tempo` and also accepting its `tempo_alt` (opt-in).

    python3 benches/python/score_tempo_alt.py MANIFEST RESULTS.jsonl [RESULTS.jsonl ...]

POP909's manifest gives `tempo_alt` where the annotation is at half the tempo most listeners tap
(see ../shared/evaldata/pop909_dev/README.md); `../shared/eval/score.py` scores `tempo` only.
This prints, per results file (ours from `eval_tempo --out`, the peers' from `run_all.sh`), Acc1
(|est - ref| <= 4 % of ref, as score.py) against `tempo`, and against `tempo` or `tempo_alt`.
A track without a result line counts as wrong. Standard library only.
"""
import json
import os
import sys

TOLERANCE = 0.04


def acc1(est, ref):
    return est is not None and ref is not None and ref > 0 and abs(est - ref) <= TOLERANCE * ref


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    refs = {}
    with open(argv[1]) as f:
        for line in f:
            if line.strip():
                e = json.loads(line)
                if e.get("tempo") is not None:
                    refs[e["id"]] = (float(e["tempo"]), e.get("tempo_alt"))
    n_alt = sum(1 for _, alt in refs.values() if alt is not None)
    print(f"{len(refs)} tempo-labelled tracks, {n_alt} with tempo_alt")
    print(f"{'results':<40} {'Acc1':>6} {'Acc1 or alt':>12}")
    for path in argv[2:]:
        est = {}
        with open(path) as f:
            for line in f:
                if line.strip():
                    r = json.loads(line)
                    if r.get("tempo") is not None:
                        est[r["id"]] = float(r["tempo"])
        plain = sum(acc1(est.get(i), t) for i, (t, _) in refs.items())
        either = sum(acc1(est.get(i), t) or acc1(est.get(i), alt) for i, (t, alt) in refs.items())
        n = max(len(refs), 1)
        name = os.path.basename(path)
        print(f"{name:<40} {plain / n:6.3f} {either / n:12.3f}")


if __name__ == "__main__":
    main(sys.argv)
