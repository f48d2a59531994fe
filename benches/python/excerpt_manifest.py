#!/usr/bin/env python3
"""Writes short excerpts of an evaluation set: every track cut with `sox ... trim START SECONDS`
(22050 Hz mono WAV) and a manifest keeping the track's tempo, tempo_alt, key and genre labels
(the excerpt is labelled with the song's main key and tempo; beats dropped). Tracks shorter than
START + SECONDS are skipped. Opt-in; needs sox. Used for the short-clip tables of docs/ACCURACY.md
(tempo and key on 2-6 s excerpts) and by the duration-dependent key experiment
(`scripts/key/try_duration_profile.py`).

    python3 benches/python/excerpt_manifest.py ../shared/evaldata/pop909_dev/manifest.jsonl 3 /tmp/short/d3
    cargo run --release -p analyzer-benches --bin eval_key -- /tmp/short/d3/manifest.jsonl /tmp/k_d3.jsonl
    bash ../shared/eval/run_all.sh /tmp/short/d3/manifest.jsonl /tmp/peers/short_d3
"""
import argparse
import json
import os
import subprocess

SR = "22050"
START_S = 20.0


def duration(path):
    out = subprocess.run(["soxi", "-D", path], capture_output=True, text=True, check=True).stdout
    return float(out.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest")
    ap.add_argument("seconds", type=float)
    ap.add_argument("out_dir")
    ap.add_argument("--start", type=float, default=START_S)
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.manifest))
    os.makedirs(os.path.join(a.out_dir, "audio"), exist_ok=True)
    written = 0
    with open(os.path.join(a.out_dir, "manifest.jsonl"), "w") as out:
        for line in open(a.manifest):
            if not line.strip():
                continue
            d = json.loads(line)
            src = os.path.join(base, d["path"])
            if duration(src) < a.start + a.seconds:
                continue
            rel = f"audio/{d['id']}.wav"
            dst = os.path.join(a.out_dir, rel)
            if not os.path.exists(dst):
                subprocess.run(["sox", "-V1", src, "-r", SR, "-c", "1", "-b", "16", dst, "trim", str(a.start), str(a.seconds)],
                               check=True)
            row = {k: d[k] for k in ("id", "tempo", "tempo_alt", "key", "genre") if k in d}
            row.update(path=rel, beats=None, excerpt=f"sox trim {a.start:g} {a.seconds:g} of {d['path']}")
            out.write(json.dumps(row) + "\n")
            written += 1
    print(f"{written} excerpts of {a.seconds:g} s in {a.out_dir}/manifest.jsonl")


if __name__ == "__main__":
    main()
