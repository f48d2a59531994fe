#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets into fuzz/seeds/<target>/.

analyze_bytes: the tiny files of `testdata/corrupt/make_corpus.py --seeds`, each twice: behind
selector byte 0 (no extension hint) and behind the selector of its own extension (the target's
first byte picks the hint: see HINTS in fuzz_targets/analyze_bytes.rs). mp4_edit_list: the MP4
seeds. manifest: a few TSV and JSON Lines manifests.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "testdata", "corrupt"))
import make_corpus  # noqa: E402

# Must match HINTS in fuzz_targets/analyze_bytes.rs.
HINTS = [None, "wav", "flac", "mp3", "ogg", "m4a", "aac", "aiff"]
MANIFESTS = {
    "tsv": b"a\tx.wav\n\n# comment\nz.flac\nb\t/abs/y.mp3\r\n",
    "jsonl": b'{"id": "b", "path": "/abs/y.mp3", "tempo": 1}\n{"path": "rel/z.flac"}\n',
    "mixed": b'id1\tp1.wav\n{"id": "id2", "path": "p2.ogg"}\nplain.m4a\n\t\n',
}


def write(dir_, name, data):
    os.makedirs(dir_, exist_ok=True)
    with open(os.path.join(dir_, name), "wb") as f:
        f.write(data)


def main():
    seeds = make_corpus.build_seeds()
    for name, data in seeds.items():
        ext = name.rsplit("_", 1)[-1]
        hint = HINTS.index(ext) if ext in HINTS else 0
        for sel in sorted({0, hint}):
            write(os.path.join(HERE, "seeds", "analyze_bytes"), f"{name}_h{sel}", bytes([sel]) + data)
        if ext == "m4a":
            write(os.path.join(HERE, "seeds", "mp4_edit_list"), name, data)
    for name, data in MANIFESTS.items():
        write(os.path.join(HERE, "seeds", "manifest"), name, data)


if __name__ == "__main__":
    main()
