#!/usr/bin/env python3
"""Regenerates the committed test fixtures in testdata/.

Needs only the Python standard library and `ffmpeg` (Debian package `ffmpeg`; CI does not run
this script, the outputs are committed). Every output is deterministic for a given ffmpeg build.

Outputs (all derived from one synthetic master so that tests can compare formats):
  formats/f32.wav            1.0 s stereo 44.1 kHz float32 master: chord + log sweep + clicks
  formats/s16.wav s24.wav s32.wav                    PCM WAV variants of the master
  formats/s16.flac s16.aiff s16_alac.m4a             lossless, made from s16.wav (sample-identical)
  formats/mp3.mp3 vorbis.ogg aac.m4a aac_adts.aac    lossy
  misc/surround51.flac       0.5 s 5.1 at 48 kHz (one tone per channel)
  misc/mono8k.wav            0.5 s mono 8 kHz 16-bit
  misc/odd37800.wav          0.5 s stereo 37.8 kHz 16-bit
  misc/not_audio.mp3         a text file with an audio extension
"""
import math
import os
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SR = 44100
SECONDS = 1.0


def master_signal(sr, seconds):
    """Stereo test signal: a chord, a log sweep 100 Hz -> 8 kHz, clicks every 250 ms."""
    n = int(sr * seconds)
    left, right = [], []
    f0, f1 = 100.0, 8000.0
    k = math.log(f1 / f0)
    for i in range(n):
        t = i / sr
        chord = sum(0.12 * math.sin(2 * math.pi * f * t) for f in (220.0, 277.18, 329.63))
        sweep_phase = 2 * math.pi * f0 * seconds / k * (math.exp(k * t / seconds) - 1)
        sweep = 0.2 * math.sin(sweep_phase)
        click = 0.5 if (i % (sr // 4)) < 8 else 0.0
        left.append(chord + sweep + click)
        right.append(0.8 * chord - sweep + click)
    return [left, right]


def write_wav_f32(path, channels, sr):
    n = len(channels[0])
    nch = len(channels)
    data = bytearray()
    for i in range(n):
        for c in range(nch):
            data += struct.pack("<f", channels[c][i])
    fmt = struct.pack("<HHIIHH", 3, nch, sr, sr * nch * 4, nch * 4, 32)
    with open(path, "wb") as f:
        f.write(b"RIFF" + struct.pack("<I", 4 + 8 + len(fmt) + 8 + len(data)) + b"WAVE")
        f.write(b"fmt " + struct.pack("<I", len(fmt)) + fmt)
        f.write(b"data" + struct.pack("<I", len(data)) + data)


def ffmpeg(*args):
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-bitexact", *args]
    subprocess.run(cmd, check=True)


def main():
    fmt_dir = os.path.join(HERE, "formats")
    misc_dir = os.path.join(HERE, "misc")
    os.makedirs(fmt_dir, exist_ok=True)
    os.makedirs(misc_dir, exist_ok=True)
    p = lambda name: os.path.join(fmt_dir, name)
    tmp = tempfile.TemporaryDirectory()
    master = os.path.join(tmp.name, "master_f32.wav")
    write_wav_f32(master, master_signal(SR, SECONDS), SR)

    ffmpeg("-i", master, "-c:a", "pcm_s16le", p("s16.wav"))
    ffmpeg("-i", master, "-c:a", "pcm_s24le", p("s24.wav"))
    ffmpeg("-i", master, "-c:a", "pcm_s32le", p("s32.wav"))
    ffmpeg("-i", master, "-c:a", "pcm_f32le", p("f32.wav"))
    s16 = p("s16.wav")
    ffmpeg("-i", s16, "-c:a", "flac", p("s16.flac"))
    ffmpeg("-i", s16, "-c:a", "pcm_s16be", p("s16.aiff"))
    ffmpeg("-i", s16, "-c:a", "alac", p("s16_alac.m4a"))
    ffmpeg("-i", master, "-c:a", "libmp3lame", "-b:a", "128k", p("mp3.mp3"))
    ffmpeg("-i", master, "-c:a", "libvorbis", "-q:a", "4", p("vorbis.ogg"))
    ffmpeg("-i", master, "-c:a", "aac", "-b:a", "128k", p("aac.m4a"))
    ffmpeg("-i", master, "-c:a", "aac", "-b:a", "128k", "-f", "adts", p("aac_adts.aac"))

    q = lambda name: os.path.join(misc_dir, name)
    tones = "+".join(f"0.2*sin(2*PI*{220 * (c + 1)}*t)" for c in range(1))
    chans = "|".join(f"0.2*sin(2*PI*{220 * (c + 1)}*t)" for c in range(6))
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={chans}:s=48000:d=0.5:c=5.1", "-c:a", "flac", q("surround51.flac"))
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={tones}:s=8000:d=0.5", "-c:a", "pcm_s16le", q("mono8k.wav"))
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={tones}|{tones}:s=37800:d=0.5", "-c:a", "pcm_s16le", q("odd37800.wav"))
    with open(q("not_audio.mp3"), "w") as f:
        f.write("This is a text file with an .mp3 extension; decoders must reject it cleanly.\n")
    total = sum(os.path.getsize(os.path.join(d, f)) for d in (fmt_dir, misc_dir) for f in os.listdir(d))
    print(f"fixtures written, {total / 1e6:.2f} MB in total", file=sys.stderr)


if __name__ == "__main__":
    main()
