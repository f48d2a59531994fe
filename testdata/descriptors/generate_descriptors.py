#!/usr/bin/env python3
"""Generates the descriptor test fixtures (4 s, mono, 22.05 kHz, 16-bit FLAC).

Needs numpy, ffmpeg (FLAC encoding) and espeak-ng (Debian packages). CI does not run this; the
outputs are committed. The speech, crowd-noise and hall-reverberation generators are the ones
of the calibration recipe (scripts/descriptors/fit_descriptors.py), so the tests exercise the
same kind of controlled pairs the weights were fitted on, but on different (synthetic) music.

  desc_music.flac          synthetic band (melody, chords, drums): instrumental, studio-dry
  desc_music_speech.flac   the same with espeak-ng speech mixed in (+3 dB speech-to-music)
  desc_music_live.flac     the same in a synthetic hall (RT60 2 s) with crowd noise and applause
  desc_speech.flac         espeak-ng speech only
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts", "descriptors"))
from music_synth import music, write_wav16  # noqa: E402
import fit_descriptors as fd  # noqa: E402

SR = 22050
SECONDS = 4.0


def flac(x, name):
    tmp = os.path.join(tempfile.mkdtemp(), "x.wav")
    write_wav16(tmp, x, SR)
    subprocess.run(["ffmpeg", "-y", "-loglevel", "error", "-i", tmp, "-c:a", "flac", "-compression_level", "12",
                    os.path.join(HERE, name)], check=True)


def main():
    rng = np.random.default_rng(7)
    x = music(SR, SECONDS, seed=21, tempo=118) * 1.6
    flac(x, "desc_music.flac")
    s = fd.speech_track(rng, SECONDS)
    y = x + s / fd.rms(s) * fd.rms(x) * 10 ** (3 / 20)
    flac(y / np.max(np.abs(y)) * 0.8, "desc_music_speech.flac")
    h = fd.hall_ir(rng, 2.0)
    wet = fd.fft_convolve(x, h)
    live = x / fd.rms(x) + wet / fd.rms(wet)
    live *= fd.rms(x) / fd.rms(live)
    live += fd.crowd(rng, len(x)) * fd.rms(live) * 10 ** (-12 / 20)
    flac(live / np.max(np.abs(live)) * 0.8, "desc_music_live.flac")
    flac(fd.speech_track(np.random.default_rng(8), SECONDS), "desc_speech.flac")


if __name__ == "__main__":
    main()
