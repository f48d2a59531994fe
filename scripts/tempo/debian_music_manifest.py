#!/usr/bin/env python3
"""Real produced music without labels, from Debian's game-music packages, and a tempo label where
two peers agree: a check of the tempo's metrical level outside POP909 and GiantSteps.

    python3 scripts/tempo/debian_music_manifest.py fetch --out /tmp/deb60      # apt-get download, sox
    PEERS="madmom_tempo tempocnn" bash ../shared/eval/run_all.sh /tmp/deb60/manifest.jsonl /tmp/peers/deb60
    python3 scripts/tempo/debian_music_manifest.py consensus --out /tmp/deb60 \
        /tmp/peers/deb60/madmom_tempo.jsonl /tmp/peers/deb60/tempocnn.jsonl   # -> consensus.jsonl
    python3 ../shared/eval/score.py --manifest /tmp/deb60/consensus.jsonl OURS.jsonl

`fetch` downloads the packages in PACKAGES (`apt-get download`, no install), unpacks them under
OUT/deb/, and cuts one minute (from 20 s in, or the last minute of a shorter track) of every
Ogg Vorbis track of at least 30 s to a 44.1 kHz mono WAV (sox). `consensus` writes
`consensus.jsonl`: the manifest with `tempo` set to the mean of two peers' tempi where they agree
within 4 % (Accuracy1's tolerance) and null elsewhere. The labels are the peers' agreement, not
annotations: a track where both peers take the same wrong level is scored against that level.
The audio (GPL/CC game music) is never committed. Needs apt-get, dpkg-deb and sox.
"""
import argparse
import glob
import json
import os
import re
import subprocess

# Music of several genres (orchestral, folk, rock, electronic, chiptune-like), as packaged.
PACKAGES = [
    "wesnoth-1.16-music",
    "hedgewars-data",
    "lincity-ng-data",
    "extremetuxracer-data",
    "supertux-data",
]
EXCERPT_S = 60.0
START_S = 20.0
MIN_TRACK_S = 30.0
TOL = 0.04


def duration(path):
    out = subprocess.run(["soxi", "-D", path], capture_output=True, text=True).stdout.strip()
    return float(out) if out else 0.0


def fetch(out):
    deb = os.path.join(out, "deb")
    os.makedirs(os.path.join(deb, "x"), exist_ok=True)
    os.makedirs(os.path.join(out, "audio"), exist_ok=True)
    subprocess.run(["apt-get", "download", *PACKAGES], cwd=deb, check=True)
    for pkg in glob.glob(os.path.join(deb, "*.deb")):
        subprocess.run(["dpkg-deb", "-x", pkg, os.path.join(deb, "x")], check=True)
    rows = []
    for src in sorted(glob.glob(os.path.join(deb, "x", "**", "*.ogg"), recursive=True)):
        if "/speech/" in src or os.path.getsize(src) < 500_000:
            continue
        d = duration(src)
        if d < MIN_TRACK_S:
            continue
        rel = os.path.relpath(src, os.path.join(deb, "x", "usr", "share"))
        name = re.sub(r"[^A-Za-z0-9]+", "_", re.sub(r"^games/", "", rel).rsplit(".", 1)[0])
        dst = os.path.join(out, "audio", name + ".wav")
        start = min(START_S, max(0.0, d - EXCERPT_S))
        if not os.path.exists(dst):
            subprocess.run(["sox", src, "-r", "44100", "-c", "1", dst, "trim", str(start), str(EXCERPT_S)],
                           check=True, stderr=subprocess.DEVNULL)
        rows.append({"id": name, "path": f"audio/{name}.wav", "tempo": None, "key": None, "beats": None})
    with open(os.path.join(out, "manifest.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    print(f"{len(rows)} excerpts in {out}/manifest.jsonl")


def consensus(out, a, b):
    tempo = []
    for path in (a, b):
        with open(path) as f:
            tempo.append({r["id"]: r.get("tempo") for r in map(json.loads, f)})
    n = agreed = 0
    with open(os.path.join(out, "manifest.jsonl")) as f, open(os.path.join(out, "consensus.jsonl"), "w") as o:
        for r in map(json.loads, f):
            n += 1
            x, y = tempo[0].get(r["id"]), tempo[1].get(r["id"])
            r["tempo"] = None
            if x and y and abs(x - y) <= TOL * y:
                r["tempo"] = round((x + y) / 2, 2)
                r["tempo_source"] = "peer consensus"
                agreed += 1
            o.write(json.dumps(r) + "\n")
    print(f"{agreed}/{n} with a consensus tempo in {out}/consensus.jsonl")


def main():
    ap = argparse.ArgumentParser()
    sp = ap.add_subparsers(dest="cmd", required=True)
    p = sp.add_parser("fetch")
    p.add_argument("--out", required=True)
    p = sp.add_parser("consensus")
    p.add_argument("--out", required=True)
    p.add_argument("peer_a")
    p.add_argument("peer_b")
    a = ap.parse_args()
    if a.cmd == "fetch":
        fetch(a.out)
    else:
        consensus(a.out, a.peer_a, a.peer_b)


if __name__ == "__main__":
    main()
