#!/usr/bin/env python3
"""Writes testdata/tonal/a_minor_band.wav, the fixture of the key regression test.

Python standard library only; deterministic. 6 s, 22050 Hz, mono, 16-bit PCM: a band-like mix
in A minor tuned 15 cents sharp -- piano-like chords (i-VI-III-VII-i-iv-V-i, two per bar at
120 BPM), a bass line on the roots, a kick drum with a pitch sweep, and hi-hat noise bursts.
The known answer is A minor (key 9, mode 0); the test also pins the estimated values.
"""
import math
import os
import random
import struct
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
SR = 22050
SECONDS = 6.0
CENTS = 15.0
CHORD_SECONDS = 0.75
# (root MIDI, intervals) for Am F C G Am Dm E Am
CHORDS = [
    (57, (0, 3, 7)), (53, (0, 4, 7)), (48, (0, 4, 7)), (55, (0, 4, 7)),
    (57, (0, 3, 7)), (50, (0, 3, 7)), (52, (0, 4, 7)), (57, (0, 3, 7)),
]


def hz(midi):
    return 440.0 * 2.0 ** ((midi - 69 + CENTS / 100.0) / 12.0)


def add_tone(y, start, length, f0, amp, partials=8, decay=0.6, tau=0.6):
    for i in range(length):
        n = start + i
        if n >= len(y):
            break
        t = i / SR
        env = math.exp(-t / tau) * min(1.0, i / (0.005 * SR))
        s = 0.0
        for h in range(1, partials + 1):
            f = f0 * h
            if f >= SR / 2:
                break
            s += decay ** (h - 1) * math.sin(2 * math.pi * f * t)
        y[n] += amp * env * s


def main():
    rng = random.Random(20240521)
    n = int(SECONDS * SR)
    y = [0.0] * n
    step = int(CHORD_SECONDS * SR)
    for i, (root, iv) in enumerate(CHORDS):
        start = i * step
        for k in iv:
            add_tone(y, start, step, hz(root + k), 0.08)
        add_tone(y, start, step, hz(root - 12), 0.12, partials=5, decay=0.5, tau=0.9)
    beat = int(0.5 * SR)
    for start in range(0, n, beat):
        phase = 0.0
        for i in range(int(0.25 * SR)):
            if start + i >= n:
                break
            t = i / SR
            phase += 2 * math.pi * (45.0 + 70.0 * math.exp(-t * 35.0)) / SR
            y[start + i] += 0.5 * math.exp(-t * 14.0) * math.sin(phase)
        hat = start + beat // 2
        for i in range(int(0.03 * SR)):
            if hat + i >= n:
                break
            y[hat + i] += 0.15 * math.exp(-i / (0.008 * SR)) * (2.0 * rng.random() - 1.0)
    peak = max(abs(v) for v in y)
    scale = 0.8 / peak
    out = os.path.join(HERE, "a_minor_band.wav")
    with wave.open(out, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(b"".join(struct.pack("<h", int(round(v * scale * 32767))) for v in y))
    print(out)


if __name__ == "__main__":
    main()
