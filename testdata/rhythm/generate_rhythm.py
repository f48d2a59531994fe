#!/usr/bin/env python3
"""Generates the committed rhythm regression fixture (Python standard library only).

Output: rhythm/drums_100bpm.wav -- 8.0 s, mono, 22050 Hz, 16-bit PCM. A synthetic 4/4 groove at
100 BPM starting after 0.3 s of silence: kick on beats 1 and 3, snare on 2 and 4, closed hi-hat
on every eighth note, and a sine bass note per beat whose pitch changes every bar (A, F, C, G).
Deterministic (fixed LCG noise). Beat k (k = 0, 1, ...) is at 0.3 + 0.6 k seconds.
"""
import math
import os
import struct
import wave

HERE = os.path.dirname(os.path.abspath(__file__))
SR = 22050
SECONDS = 8.0
BPM = 100.0
START = 0.3
BASS_HZ = [110.0, 87.31, 130.81, 98.0]


class Lcg:
    def __init__(self, seed):
        self.s = seed

    def next(self):
        self.s = (self.s * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return ((self.s >> 40) / float(1 << 24)) * 2.0 - 1.0


def main():
    n = int(SR * SECONDS)
    y = [0.0] * n
    rng = Lcg(12345)
    beat = 60.0 / BPM

    def add(t0, dur, fn):
        i0 = int(round(t0 * SR))
        for i in range(i0, min(n, i0 + int(dur * SR))):
            y[i] += fn((i - i0) / SR)

    k = 0
    while START + k * beat < SECONDS:
        t = START + k * beat
        pos = k % 4
        bar = k // 4
        if pos in (0, 2):
            add(t, 0.25, lambda u: 0.7 * math.exp(-u * 18) * math.sin(2 * math.pi * (50 + 80 * math.exp(-u * 40)) * u))
        else:
            add(t, 0.2, lambda u: 0.35 * math.exp(-u * 25) * rng.next() + 0.2 * math.exp(-u * 30) * math.sin(2 * math.pi * 190 * u))
        for h in (0.0, 0.5):
            add(t + h * beat, 0.05, lambda u: 0.12 * math.exp(-u * 90) * rng.next())
        f = BASS_HZ[bar % 4]
        add(t, beat * 0.9, lambda u, f=f: 0.25 * math.sin(2 * math.pi * f * u) * min(1.0, u * 200) * math.exp(-u * 2))
        k += 1
    peak = max(abs(v) for v in y)
    with wave.open(os.path.join(HERE, "drums_100bpm.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(b"".join(struct.pack("<h", int(round(32767 * 0.9 * v / peak))) for v in y))


if __name__ == "__main__":
    main()
