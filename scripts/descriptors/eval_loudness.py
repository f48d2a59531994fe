#!/usr/bin/env python3
"""Opt-in evaluation: our BS.1770 integrated loudness and loudness range against ffmpeg's
`ebur128` filter (a libebur128 port) on the real recordings of the evaluation manifests.

    cargo build --release -p analyzer-benches --bin descriptor_features
    python3 scripts/descriptors/eval_loudness.py ../shared/evaldata/*/manifest.jsonl > out.jsonl

Prints one JSON line per file and a summary (mean/max absolute difference, share within
±0.2 LU) on stderr. Needs only the standard library and ffmpeg.
"""
import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "release", "descriptor_features")


def ffmpeg_ebur128(path):
    p = subprocess.run(["ffmpeg", "-nostats", "-hide_banner", "-i", path, "-filter_complex", "ebur128", "-f", "null",
                        "-"], capture_output=True, text=True)
    summary = p.stderr[p.stderr.rfind("Summary:"):]
    i = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    lra = re.search(r"LRA:\s+(-?[\d.]+) LU", summary)
    return (float(i.group(1)) if i else None), (float(lra.group(1)) if lra else None)


def main():
    paths = []
    for man in sys.argv[1:]:
        base = os.path.dirname(man)
        for line in open(man):
            r = json.loads(line)
            paths.append((r["id"], os.path.join(base, r["path"])))
    ours = {}
    p = subprocess.run([BIN], input="\n".join(p for _, p in paths), capture_output=True, text=True)
    for line in p.stdout.splitlines():
        r = json.loads(line)
        ours[r["path"]] = (r["features"]["loudness_lufs"], r["features"]["loudness_range_lu"])
    diffs, lra_diffs = [], []
    for fid, path in paths:
        ref_i, ref_lra = ffmpeg_ebur128(path)
        got = ours.get(path)
        if got is None or ref_i is None:
            print(json.dumps({"id": fid, "error": "no measurement"}))
            continue
        d = got[0] - ref_i
        diffs.append(abs(d))
        if ref_lra is not None:
            lra_diffs.append(abs(got[1] - ref_lra))
        print(json.dumps({"id": fid, "lufs": round(got[0], 2), "ffmpeg_lufs": ref_i, "lra": round(got[1], 2),
                          "ffmpeg_lra": ref_lra}))
    if diffs:
        within = sum(1 for d in diffs if d <= 0.2) / len(diffs)
        print(f"integrated: n={len(diffs)} mean|d|={sum(diffs)/len(diffs):.3f} max|d|={max(diffs):.3f} "
              f"within 0.2 LU: {within:.1%}; LRA mean|d|={sum(lra_diffs)/max(len(lra_diffs),1):.2f} "
              f"max|d|={max(lra_diffs, default=0):.2f}", file=sys.stderr)


if __name__ == "__main__":
    main()
