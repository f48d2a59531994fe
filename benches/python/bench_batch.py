"""Whole-process Python comparison (opt-in): GIL release and batch scaling of audio_analyzer.

    python benches/python/bench_batch.py [MANIFEST_OR_DIR ...]

Default input: every file of ../shared/evaldata/real_examples/audio and the first 20 POP909 renders.
Reports, best of 3 runs each: analyze_many with workers=1 and workers=2 (files/s, x realtime,
speed-up), and two Python threads calling analyze() concurrently against the same calls made
serially.
"""

import os
import pathlib
import sys
import threading
import time

import audio_analyzer as aa

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUNS = 3


def default_files():
    ev = ROOT.parent / "shared" / "evaldata"
    files = sorted((ev / "real_examples" / "audio").iterdir())
    files += sorted((ev / "pop909_dev" / "audio").iterdir())[:20]
    return files


def collect(args):
    files = []
    for a in args:
        p = pathlib.Path(a)
        files += sorted(x for x in p.rglob("*") if x.is_file()) if p.is_dir() else [p]
    return files


def best(fn):
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    files = collect(sys.argv[1:]) or default_files()
    results = aa.analyze_many(files, workers=1, progress=False)
    audio_s = sum(r.features["duration_ms"] for r in results if r.ok) / 1000
    print(f"{len(files)} files, {audio_s / 60:.1f} min of audio, {os.cpu_count()} cores")
    t1, _ = best(lambda: aa.analyze_many(files, workers=1, progress=False))
    t2, _ = best(lambda: aa.analyze_many(files, workers=2, progress=False))
    for w, t in ((1, t1), (2, t2)):
        print(f"analyze_many workers={w}: {t:.2f} s, {len(files) / t:.1f} files/s, {audio_s / t:.0f}x realtime")
    print(f"speed-up 2 workers / 1 worker: {t1 / t2:.2f}x")
    half = len(files) // 2
    parts = [files[:half], files[half:]]

    def serial():
        for part in parts:
            for f in part:
                aa.analyze(f, timeline=False)

    def threaded():
        threads = [threading.Thread(target=lambda p=p: [aa.analyze(f, timeline=False) for f in p]) for p in parts]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    ts, _ = best(serial)
    tt, _ = best(threaded)
    print(f"two Python threads calling analyze(): serial {ts:.2f} s, concurrent {tt:.2f} s ({ts / tt:.2f}x)")


if __name__ == "__main__":
    main()
