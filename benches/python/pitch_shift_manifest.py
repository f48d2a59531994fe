#!/usr/bin/env python3
"""Writes a pitch-shifted copy of an evaluation set: every track through `sox ... pitch CENTS`
(22050 Hz mono WAV) and a manifest whose key labels are transposed by the same number of
semitones (tempo, tempo_alt and genre kept; beats dropped). Opt-in; needs sox.

    python3 benches/python/pitch_shift_manifest.py ../shared/evaldata/pop909_dev/manifest.jsonl 1 /tmp/pshift/dev_up1
    cargo run --release -p analyzer-benches --bin eval_key -- /tmp/pshift/dev_up1/manifest.jsonl /tmp/k_up1.jsonl
    bash ../shared/eval/run_all.sh /tmp/pshift/dev_up1/manifest.jsonl /tmp/peers/dev_up1

The key parser is the peer harness's (`../shared/eval/evalcommon.py`, or `$EVAL_DIR`).
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.environ.get("EVAL_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "eval"))
import evalcommon  # noqa: E402

SR = "22050"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("manifest")
    ap.add_argument("semitones", type=int)
    ap.add_argument("out_dir")
    a = ap.parse_args()
    base = os.path.dirname(os.path.abspath(a.manifest))
    os.makedirs(os.path.join(a.out_dir, "audio"), exist_ok=True)
    with open(os.path.join(a.out_dir, "manifest.jsonl"), "w") as out:
        for line in open(a.manifest):
            if not line.strip():
                continue
            d = json.loads(line)
            key = evalcommon.parse_key(d.get("key"))
            rel = f"audio/{d['id']}.wav"
            dst = os.path.join(a.out_dir, rel)
            if not os.path.exists(dst):
                src = os.path.join(base, d["path"])
                subprocess.run(["sox", src, "-r", SR, "-c", "1", dst, "pitch", str(100 * a.semitones)], check=True)
            row = {
                "id": d["id"],
                "path": rel,
                "tempo": d.get("tempo"),
                "tempo_alt": d.get("tempo_alt"),
                "key": None if key is None else f"{evalcommon.PITCH_NAMES[(key[0] + a.semitones) % 12]} {key[1]}",
                "beats": None,
                "genre": d.get("genre"),
            }
            out.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
