#!/usr/bin/env python3
"""Generates the loudness fixtures and their BS.1770 reference values.

Needs numpy and `ffmpeg` (Debian package; its `ebur128` filter, a libebur128 port, is the
reference meter). CI does not run this: the FLAC files and `loudness_reference.json` are
committed. Run from anywhere: `python3 testdata/descriptors/generate_loudness.py`.

Fixtures (music-like synthetic content, 16-bit FLAC):
  loud_stereo_44k.flac   3 s stereo 44.1 kHz, a crescendo
  loud_mono_48k.flac     2 s mono   48 kHz
  loud_51_48k.flac       1.2 s 5.1 48 kHz, different content per channel, LFE loud
The reference JSON also covers existing fixtures under testdata/formats and testdata/misc.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from music_synth import music, write_wav16  # noqa: E402


def flac(wav, out):
    subprocess.run(['ffmpeg', '-y', '-loglevel', 'error', '-i', wav, '-c:a', 'flac', '-compression_level', '12', out],
                   check=True)


def ebur128(path):
    p = subprocess.run(['ffmpeg', '-nostats', '-hide_banner', '-i', path, '-filter_complex',
                        'ebur128=peak=true+sample', '-f', 'null', '-'],
                       capture_output=True, text=True, check=True)
    summary = p.stderr[p.stderr.rfind('Summary:'):]
    num = lambda pat: float(re.search(pat, summary, re.S).group(1))
    return {
        'integrated_lufs': num(r'I:\s+(-?[\d.]+|-inf) LUFS'),
        'loudness_range_lu': num(r'LRA:\s+(-?[\d.]+) LU'),
        'true_peak_dbtp': num(r'True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS'),
        'sample_peak_dbfs': num(r'Sample peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS'),
    }


def main():
    tmp = tempfile.mkdtemp()
    sr = 44100
    a = music(sr, 3.0, seed=1, gain_curve=lambda t: 0.15 + 0.85 * (t / 3.0) ** 2)
    b = music(sr, 3.0, seed=2, drums=False, gain_curve=lambda t: 0.15 + 0.85 * (t / 3.0) ** 2)
    w = os.path.join(tmp, 's.wav')
    write_wav16(w, np.stack([0.8 * a + 0.2 * b, 0.3 * a + 0.7 * b], 1), sr)
    flac(w, os.path.join(HERE, 'loud_stereo_44k.flac'))

    sr = 48000
    write_wav16(w, 0.8 * music(sr, 2.0, seed=3, tempo=96), sr)
    flac(w, os.path.join(HERE, 'loud_mono_48k.flac'))

    chans = [music(sr, 1.2, seed=10 + c, tempo=110, drums=(c == 0)) for c in range(6)]
    chans[3] = 0.9 * np.sin(2 * np.pi * 60 * np.arange(int(1.2 * sr)) / sr)  # LFE: must not count
    write_wav16(w, np.stack(chans, 1) * np.array([0.9, 0.7, 0.5, 1.0, 0.6, 0.4]), sr)
    flac(w, os.path.join(HERE, 'loud_51_48k.flac'))

    files = ['descriptors/loud_stereo_44k.flac', 'descriptors/loud_mono_48k.flac', 'descriptors/loud_51_48k.flac',
             'formats/s16.wav', 'formats/s16.flac', 'formats/f32.wav', 'misc/surround51.flac', 'misc/odd37800.wav']
    ref = {'_meter': 'ffmpeg ebur128 filter (peak=true+sample), ' + subprocess.run(
        ['ffmpeg', '-version'], capture_output=True, text=True).stdout.split('\n')[0]}
    for f in files:
        ref[f] = ebur128(os.path.join(ROOT, f))
        print(f, ref[f])
    with open(os.path.join(HERE, 'loudness_reference.json'), 'w') as fh:
        json.dump(ref, fh, indent=1, sort_keys=True)
        fh.write('\n')


if __name__ == '__main__':
    main()
