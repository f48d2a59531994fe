#!/usr/bin/env python3
"""Generates the corrupt-file corpus from the committed fixtures (standard library only).

    python3 testdata/corrupt/make_corpus.py OUT_DIR            # the corpus (~450 files, ~15 MB)
    python3 testdata/corrupt/make_corpus.py --seeds OUT_DIR    # tiny fuzzing seeds (a few KB each)

Deterministic (seeded): the same fixtures give the same files. Every file must give a typed
error or a valid analysis, within the time limit, through Rust, the CLI and Python. Names are
`<fixture>__<variant>.<ext>`; the extension is the hint the tests pass on (a `wrongext` file
carries a lying one). Kinds of damage: truncation at many offsets, seeded bit flips, header lies
(absurd sample rate, channel count, sizes, frame counts, durations) in WAV, AIFF, FLAC, MP4,
MP3, Ogg and ADTS headers, zero-length files, ID3-only files, wrong extensions, random garbage
behind real signatures, huge files (a WAV header claiming hours; ten minutes of actual
silence), and every input the fuzzers found (`testdata/regressions/`).
"""

import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TESTDATA = os.path.dirname(HERE)
FIXTURES = [
    "formats/s16.wav",
    "formats/f32.wav",
    "formats/s24.wav",
    "formats/s16.aiff",
    "formats/s16.flac",
    "formats/mp3.mp3",
    "formats/vorbis.ogg",
    "formats/aac.m4a",
    "formats/s16_alac.m4a",
    "formats/aac_adts.aac",
    "misc/surround51.flac",
]
SEED = 20261125
# Truncation points: absolute offsets through the headers, then fractions of the file.
CUT_OFFSETS = [1, 4, 8, 12, 20, 36, 44, 64, 128, 512, 2048]
CUT_FRACTIONS = [0.25, 0.5, 0.9, 0.999]
# Bit flips: (number of flipped bits, restricted to the first HEADER_BYTES bytes?)
FLIPS = [(1, False), (16, False), (256, False), (4, True), (32, True)]
HEADER_BYTES = 512
GARBAGE_SIZES = [1, 7, 100, 4096, 65536]
SIGNATURES = [b"RIFF\xff\xff\xff\xffWAVEfmt ", b"fLaC", b"OggS\x00\x02", b"\x00\x00\x00\x18ftypM4A ",
              b"FORM\x00\x00\x10\x00AIFFCOMM", b"ID3\x04\x00\x00", b"\xff\xfb\x90\x64", b"\xff\xf1\x50\x80"]
LONG_SILENCE_S = 600
LONG_SILENCE_RATE = 8000
U8_SILENCE = 0x80
U32_MAX = 0xFFFFFFFF


def read(rel):
    with open(os.path.join(TESTDATA, rel), "rb") as f:
        return f.read()


def patch(data, at, fmt, value):
    """`data` with `struct.pack(fmt, value)` written at `at` (None when out of range)."""
    raw = struct.pack(fmt, value)
    if at < 0 or at + len(raw) > len(data):
        return None
    return data[:at] + raw + data[at + len(raw):]


def riff_chunks(data, start, big_endian=False):
    """(id, offset of the size field) of the chunks of a RIFF/AIFF body."""
    out, pos, fmt = [], start, ">I" if big_endian else "<I"
    while pos + 8 <= len(data):
        cid = data[pos:pos + 4]
        size = struct.unpack(fmt, data[pos + 4:pos + 8])[0]
        out.append((cid, pos + 4))
        pos += 8 + size + (size & 1)
    return out


def wav_lies(d):
    chunks = dict(riff_chunks(d, 12))
    out = {"riffsize_max": patch(d, 4, "<I", U32_MAX), "riffsize_0": patch(d, 4, "<I", 0)}
    if b"fmt " in chunks:
        f = chunks[b"fmt "] + 4  # start of the fmt body
        out.update({
            "fmtsize_max": patch(d, f - 4, "<I", U32_MAX),
            "format_unknown": patch(d, f, "<H", 0x9999),
            "channels_0": patch(d, f + 2, "<H", 0),
            "channels_65535": patch(d, f + 2, "<H", 65535),
            "channels_7": patch(d, f + 2, "<H", 7),
            "rate_0": patch(d, f + 4, "<I", 0),
            "rate_1": patch(d, f + 4, "<I", 1),
            "rate_max": patch(d, f + 4, "<I", U32_MAX),
            "rate_768001": patch(d, f + 4, "<I", 768001),
            "byterate_0": patch(d, f + 8, "<I", 0),
            "blockalign_0": patch(d, f + 12, "<H", 0),
            "blockalign_max": patch(d, f + 12, "<H", 65535),
            "bits_0": patch(d, f + 14, "<H", 0),
            "bits_7": patch(d, f + 14, "<H", 7),
            "bits_64": patch(d, f + 14, "<H", 64),
        })
    if b"data" in chunks:
        out["datasize_max"] = patch(d, chunks[b"data"], "<I", U32_MAX)
        out["datasize_0"] = patch(d, chunks[b"data"], "<I", 0)
        out["datasize_odd"] = patch(d, chunks[b"data"], "<I", 3)
    return out


def ext80(value_exponent, mantissa):
    return struct.pack(">HQ", value_exponent, mantissa)


def aiff_lies(d):
    chunks = dict(riff_chunks(d, 12, big_endian=True))
    out = {"formsize_max": patch(d, 4, ">I", U32_MAX)}
    if b"COMM" in chunks:
        c = chunks[b"COMM"] + 4
        out.update({
            "channels_0": patch(d, c, ">H", 0),
            "channels_65535": patch(d, c, ">H", 65535),
            "frames_max": patch(d, c + 2, ">I", U32_MAX),
            "frames_0": patch(d, c + 2, ">I", 0),
            "bits_0": patch(d, c + 6, ">H", 0),
            "bits_255": patch(d, c + 6, ">H", 255),
            "rate_0": d[:c + 8] + ext80(0, 0) + d[c + 18:],
            "rate_huge": d[:c + 8] + ext80(0x7FFE, 1 << 63) + d[c + 18:],
            "rate_inf": d[:c + 8] + ext80(0x7FFF, 0) + d[c + 18:],
            "rate_tiny": d[:c + 8] + ext80(1, 1 << 63) + d[c + 18:],
            "commsize_max": patch(d, c - 4, ">I", U32_MAX),
        })
    if b"SSND" in chunks:
        out["ssndsize_max"] = patch(d, chunks[b"SSND"], ">I", U32_MAX)
        out["ssnd_offset_max"] = patch(d, chunks[b"SSND"] + 4, ">I", U32_MAX)
    return out


def flac_lies(d):
    if d[:4] != b"fLaC":
        return {}
    si = 8  # STREAMINFO body: min/max block (2+2), min/max frame (3+3), then 64 packed bits
    packed = struct.unpack(">Q", d[si + 10:si + 18])[0]

    def with_packed(rate=None, channels=None, bps=None, total=None):
        p = packed
        if rate is not None:
            p = (p & ~(0xFFFFF << 44)) | (rate << 44)
        if channels is not None:
            p = (p & ~(0x7 << 41)) | ((channels - 1) << 41)
        if bps is not None:
            p = (p & ~(0x1F << 36)) | ((bps - 1) << 36)
        if total is not None:
            p = (p & ~0xFFFFFFFFF) | total
        return patch(d, si + 10, ">Q", p)

    return {
        "blocklen_max": d[:5] + b"\xff\xff\xff" + d[8:],
        "minblock_0": patch(d, si, ">H", 0),
        "maxblock_0": patch(d, si + 2, ">H", 0),
        "maxblock_65535": patch(d, si + 2, ">H", 65535),
        "minblock_gt_max": patch(d, si, ">I", 0xFFFF0010),
        "rate_0": with_packed(rate=0),
        "rate_max": with_packed(rate=0xFFFFF),
        "channels_8": with_packed(channels=8),
        "bps_32": with_packed(bps=32),
        "bps_1": with_packed(bps=1),
        "total_max": with_packed(total=(1 << 36) - 1),
        "total_1": with_packed(total=1),
    }


def box_field_lies(d, kind, fields):
    """Patches fields of the first box of type `kind`; `fields` are (name, offset from the box
    body start, struct fmt, value)."""
    at = d.find(kind)
    if at < 4:
        return {}
    body = at + 4
    return {name: patch(d, body + off, fmt, v) for name, off, fmt, v in fields}


def mp4_lies(d):
    out = {}
    out.update(box_field_lies(d, b"moov", [("moovsize_max", -8, ">I", U32_MAX), ("moovsize_9", -8, ">I", 9)]))
    out.update(box_field_lies(d, b"mdat", [("mdatsize_max", -8, ">I", U32_MAX), ("mdatsize_0", -8, ">I", 0)]))
    out.update(box_field_lies(d, b"mvhd", [("mvhd_timescale_0", 12, ">I", 0), ("mvhd_duration_max", 16, ">I", U32_MAX)]))
    out.update(box_field_lies(d, b"mdhd", [("mdhd_timescale_0", 12, ">I", 0), ("mdhd_timescale_1", 12, ">I", 1),
                                           ("mdhd_duration_max", 16, ">I", U32_MAX)]))
    out.update(box_field_lies(d, b"stsz", [("stsz_count_max", 8, ">I", U32_MAX), ("stsz_size_max", 4, ">I", U32_MAX)]))
    out.update(box_field_lies(d, b"stco", [("stco_count_max", 4, ">I", U32_MAX), ("stco_offset_max", 8, ">I", U32_MAX)]))
    out.update(box_field_lies(d, b"stts", [("stts_count_max", 4, ">I", U32_MAX), ("stts_delta_max", 12, ">I", U32_MAX)]))
    out.update(box_field_lies(d, b"stsc", [("stsc_count_max", 4, ">I", U32_MAX), ("stsc_spc_0", 12, ">I", 0)]))
    out.update(box_field_lies(d, b"elst", [("elst_count_max", 4, ">I", U32_MAX), ("elst_duration_max", 8, ">I", U32_MAX),
                                           ("elst_mediatime_max", 12, ">I", 0x7FFFFFFF)]))
    for entry in (b"mp4a", b"alac"):
        out.update(box_field_lies(d, entry, [
            ("entry_channels_0", 16, ">H", 0), ("entry_channels_max", 16, ">H", 65535),
            ("entry_bits_0", 18, ">H", 0), ("entry_rate_0", 24, ">I", 0), ("entry_rate_max", 24, ">I", U32_MAX)]))
    cookie = d.find(b"alac", d.find(b"alac") + 4)  # the ALAC magic cookie box inside the entry
    if cookie > 0:
        c = cookie + 4
        out.update({
            "alac_framelen_max": patch(d, c + 4, ">I", U32_MAX),
            "alac_framelen_0": patch(d, c + 4, ">I", 0),
            "alac_bitdepth_0": patch(d, c + 9, ">B", 0),
            "alac_channels_0": patch(d, c + 13, ">B", 0),
            "alac_channels_max": patch(d, c + 13, ">B", 255),
            "alac_rate_0": patch(d, c + 24, ">I", 0),
        })
    esds = d.find(b"esds")
    if esds > 0:
        # Flip the AudioSpecificConfig's sampling-frequency index region to 0xF (explicit rate).
        out["esds_garbled"] = d[:esds + 30] + b"\xff\xff\xff\xff" + d[esds + 34:]
    return out


def mp3_lies(d):
    out = {}
    sync = d.find(b"\xff\xfb")
    if sync >= 0:
        out["bitrate_bad"] = patch(d, sync + 2, ">B", 0xF0 | (d[sync + 2] & 0x0F))
        out["samplerate_reserved"] = patch(d, sync + 2, ">B", (d[sync + 2] & 0xF3) | 0x0C)
    for tag in (b"Xing", b"Info"):
        x = d.find(tag)
        if x >= 0:
            out["xing_frames_max"] = patch(d, x + 8, ">I", U32_MAX)
            out["xing_bytes_0"] = patch(d, x + 12, ">I", 0)
    lame = d.find(b"LAME")
    if lame >= 0:
        out["lame_delay_max"] = patch(d, lame + 21, ">I", U32_MAX)
    out["id3_size_lie"] = b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + d
    return out


def ogg_lies(d):
    v = d.find(b"\x01vorbis")
    if v < 0:
        return {}
    return {
        "channels_0": patch(d, v + 11, "<B", 0),
        "channels_255": patch(d, v + 11, "<B", 255),
        "rate_0": patch(d, v + 12, "<I", 0),
        "rate_max": patch(d, v + 12, "<I", U32_MAX),
        "blocksizes_bad": patch(d, v + 28, "<B", 0xFF),
        "page_segments_max": patch(d, 26, "<B", 255),
    }


def adts_lies(d):
    if len(d) < 7 or d[0] != 0xFF:
        return {}
    return {
        "freq_index_15": patch(d, 2, ">B", (d[2] & 0xC3) | (15 << 2)),
        "channels_0": patch(d, 2, ">B", d[2] & 0xFE)[:3] + bytes([d[3] & 0x3F]) + d[4:],
        "framelen_max": d[:3] + bytes([d[3] | 0x03]) + b"\xff" + bytes([d[5] | 0xE0]) + d[6:],
        "framelen_0": d[:3] + bytes([d[3] & 0xFC]) + b"\x00" + bytes([d[5] & 0x1F]) + d[6:],
    }


def header_lies(rel, d):
    ext = rel.rsplit(".", 1)[1]
    return {"wav": wav_lies, "aiff": aiff_lies, "flac": flac_lies, "m4a": mp4_lies, "mp3": mp3_lies,
            "ogg": ogg_lies, "aac": adts_lies}[ext](d)


def flips(rng, d, n_bits, header_only):
    b = bytearray(d)
    span = min(len(b), HEADER_BYTES) if header_only else len(b)
    for _ in range(n_bits):
        i = rng.randrange(span)
        b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def wav_header(n_data_bytes, rate, channels=1, bits=8):
    block = channels * bits // 8
    fmt = struct.pack("<HHIIHH", 1, channels, rate, rate * block, block, bits)
    return (b"RIFF" + struct.pack("<I", min(U32_MAX, 36 + n_data_bytes)) + b"WAVEfmt " + struct.pack("<I", 16) + fmt
            + b"data" + struct.pack("<I", min(U32_MAX, n_data_bytes)))


def build(seeds_only=False):
    """{name: bytes} of the whole corpus (or of the fuzzing seeds)."""
    rng = random.Random(SEED)
    files = {}
    if seeds_only:
        return build_seeds()
    wrong_exts = ["mp3", "flac", "wav", "m4a", "ogg", "aac", "aiff"]
    for k, rel in enumerate(FIXTURES):
        d = read(rel)
        stem, ext = os.path.splitext(os.path.basename(rel))
        ext = ext[1:]
        base = f"{os.path.dirname(rel)}_{stem}_{ext}"
        cuts = sorted({c for c in CUT_OFFSETS if c < len(d)} | {int(len(d) * f) for f in CUT_FRACTIONS})
        for c in cuts:
            files[f"{base}__cut{c}.{ext}"] = d[:c]
        for n, header_only in FLIPS:
            files[f"{base}__flip{n}{'h' if header_only else ''}.{ext}"] = flips(rng, d, n, header_only)
        for name, data in header_lies(rel, d).items():
            if data is not None:
                files[f"{base}__lie_{name}.{ext}"] = data
        wrong = wrong_exts[k % len(wrong_exts)]
        if wrong == ext:
            wrong = wrong_exts[(k + 1) % len(wrong_exts)]
        files[f"{base}__wrongext.{wrong}"] = d
        files[f"{base}__noext"] = d
    for ext in ("wav", "mp3", "flac", "m4a"):
        files[f"empty__zero_length.{ext}"] = b""
    files["empty__zero_length_noext"] = b""
    id3_frame = b"TIT2" + struct.pack(">I", 6) + b"\x00\x00\x03title"
    files["id3__only.mp3"] = b"ID3\x04\x00\x00" + bytes([0, 0, 0, len(id3_frame)]) + id3_frame
    files["id3__only_padded.mp3"] = b"ID3\x04\x00\x00\x00\x00\x08\x00" + bytes(1024)
    files["id3__only_size_lie.mp3"] = b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + id3_frame
    for i, n in enumerate(GARBAGE_SIZES):
        files[f"garbage__random{n}.bin"] = rng.randbytes(n)
        files[f"garbage__random{n}.mp3"] = rng.randbytes(n)
    for i, sig in enumerate(SIGNATURES):
        files[f"garbage__signature{i}.bin"] = sig + rng.randbytes(4096)
    files["garbage__zeros.wav"] = bytes(4096)
    files["garbage__ff.mp3"] = b"\xff" * 4096
    files["garbage__text.wav"] = b"this is not audio, just text\n" * 100
    # Huge: a header claiming about 6 days of 8-bit mono at 8 kHz over one second of silence,
    # and ten minutes of actual silence.
    one_s = bytes([U8_SILENCE]) * LONG_SILENCE_RATE
    files["huge__wav_header_claims_hours.wav"] = wav_header(U32_MAX - 64, LONG_SILENCE_RATE) + one_s
    n = LONG_SILENCE_S * LONG_SILENCE_RATE
    files["huge__silence_10min.wav"] = wav_header(n, LONG_SILENCE_RATE) + bytes([U8_SILENCE]) * n
    # Every input the fuzzers found (testdata/regressions/), so that the CLI and Python run them
    # too.
    reg = os.path.join(HERE, "..", "regressions")
    for name in sorted(os.listdir(reg)) if os.path.isdir(reg) else []:
        with open(os.path.join(reg, name), "rb") as f:
            files[f"regression__{name}"] = f.read()
    return files


def build_seeds():
    """Tiny valid-looking files (a few KB): a prefix of every fixture, the MP4 ones rebuilt
    with a short `mdat` so that the `moov` at the end is kept."""
    seeds = {}
    for rel in FIXTURES:
        d = read(rel)
        stem = os.path.basename(rel).replace(".", "_")
        if rel.endswith(".m4a"):
            mdat = d.find(b"mdat") - 4
            moov = d.find(b"moov") - 4
            keep = 3000
            d = d[:mdat] + struct.pack(">I", keep + 8) + b"mdat" + d[mdat + 8:mdat + 8 + keep] + d[moov:]
            seeds[stem] = d
        else:
            seeds[stem] = d[:4096]
    seeds["wav_tiny"] = wav_header(800, LONG_SILENCE_RATE) + bytes(range(256)) * 3 + bytes(32)
    return seeds


def main(argv):
    seeds = "--seeds" in argv
    args = [a for a in argv if a != "--seeds"]
    if len(args) != 1:
        sys.exit(__doc__)
    out = args[0]
    os.makedirs(out, exist_ok=True)
    files = build(seeds_only=seeds)
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(files)} files in {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
