#!/usr/bin/env python3
"""Writes the committed seed corpora of the fuzz targets into fuzz/seeds/<target>/.

analyze_bytes: the tiny files of `testdata/corrupt/make_corpus.py --seeds`, each twice: behind
selector byte 0 (no extension hint) and behind the selector of its own extension (the target's
first byte picks the hint: see HINTS in fuzz_targets/analyze_bytes.rs). mp4_edit_list: the MP4
seeds. manifest: a few TSV and JSON Lines manifests. decode_<ext>: the seeds of each container
(no selector byte), plus CAF and Matroska seeds cut from s16.wav by ffmpeg (skipped, with a
message, when ffmpeg is missing: the committed ones stay).
"""

import os
import shutil
import subprocess
import sys
import tempfile

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


# decode_<target>: the seeds whose name ends in one of these extensions.
DECODE_TARGETS = {
    "wav": ["wav"],
    "aiff": ["aiff"],
    "flac": ["flac"],
    "mp3": ["mp3"],
    "ogg": ["ogg"],
    "m4a": ["m4a"],
    "aac": ["aac"],
}
# ffmpeg recipes for the containers that have no fixture: (target, file name, codec args).
FFMPEG_SEEDS = [
    ("caf", "s16be.caf", ["-c:a", "pcm_s16be"]),
    ("caf", "f32.caf", ["-c:a", "pcm_f32le"]),
    ("mkv", "flac.mkv", ["-c:a", "flac"]),
    ("mkv", "pcm.mkv", ["-c:a", "pcm_s16le"]),
    ("mkv", "vorbis.webm", ["-c:a", "libvorbis"]),
]
# Seconds of s16.wav each ffmpeg seed holds (a few KB).
FFMPEG_SEED_SECONDS = "0.05"


def ffmpeg_seeds():
    """(target, name, bytes) for the CAF and Matroska seeds, made with ffmpeg."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        print("ffmpeg not found: CAF and Matroska seeds not rewritten", file=sys.stderr)
        return []
    src = os.path.join(HERE, "..", "testdata", "formats", "s16.wav")
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for target, name, codec in FFMPEG_SEEDS:
            dst = os.path.join(tmp, name)
            cmd = [ffmpeg, "-v", "error", "-y", "-i", src, "-t", FFMPEG_SEED_SECONDS, "-map_metadata", "-1",
                   "-fflags", "+bitexact", "-flags:a", "+bitexact", *codec, dst]
            if subprocess.run(cmd).returncode != 0:
                print(f"ffmpeg could not write {name}: skipped", file=sys.stderr)
                continue
            with open(dst, "rb") as f:
                out.append((target, name, f.read()))
    return out


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
        for target, exts in DECODE_TARGETS.items():
            if ext in exts:
                write(os.path.join(HERE, "seeds", f"decode_{target}"), name, data)
    for target, name, data in ffmpeg_seeds():
        write(os.path.join(HERE, "seeds", f"decode_{target}"), name, data)
    for name, data in MANIFESTS.items():
        write(os.path.join(HERE, "seeds", "manifest"), name, data)


if __name__ == "__main__":
    main()
