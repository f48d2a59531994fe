#!/usr/bin/env python3
"""Seeds the decoder targets' corpora from the `analyze_bytes` corpus.

    python3 fuzz/seed_decoders.py [fuzz/corpus]

An `analyze_bytes` input is a selector byte (the extension hint) followed by the file. This
strips the selector and files each input under `corpus/decode_<container>/` by its magic bytes
(RIFF/RIFX/RF64 -> wav, fLaC -> flac, OggS -> ogg, FORM -> aiff, caff -> caf, EBML -> mkv,
`ftyp` at offset 4 -> m4a, ID3 or an MPEG audio sync -> mp3, an ADTS sync -> aac); an input with
no known magic goes to the container its selector picked (none for selector 0). Names are the
SHA-1 of the content, as libFuzzer names its units, so running it twice adds nothing.
"""
import hashlib
import os
import sys

# The selector's extension hints, in the order of `HINTS` in fuzz_targets/analyze_bytes.rs.
HINTS = [None, "wav", "flac", "mp3", "ogg", "m4a", "aac", "aiff"]
EBML = b"\x1a\x45\xdf\xa3"


def container(body):
    """The container named by the file's magic bytes, or None."""
    head = body[:4]
    if head in (b"RIFF", b"RIFX", b"RF64"):
        return "wav"
    named = {b"fLaC": "flac", b"OggS": "ogg", b"FORM": "aiff", b"caff": "caf", EBML: "mkv"}
    if head in named:
        return named[head]
    if body[4:8] == b"ftyp":
        return "m4a"
    if body[:3] == b"ID3":
        return "mp3"
    if len(body) > 1 and body[0] == 0xFF:
        if body[1] & 0xF6 == 0xF0:  # ADTS: sync 0xFFF, layer 00
            return "aac"
        if body[1] & 0xE0 == 0xE0:  # MPEG audio frame sync
            return "mp3"
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
    src = os.path.join(root, "analyze_bytes")
    counts = {}
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        if len(data) < 2:
            continue
        body = data[1:]
        kind = container(body) or HINTS[data[0] % len(HINTS)]
        if kind is None:
            continue
        out = os.path.join(root, f"decode_{kind}")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, hashlib.sha1(body).hexdigest()), "wb") as f:
            f.write(body)
        counts[kind] = counts.get(kind, 0) + 1
    print(", ".join(f"decode_{k}: {v}" for k, v in sorted(counts.items())))


if __name__ == "__main__":
    main()
