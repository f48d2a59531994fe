"""Deterministic music-like test signals (numpy only), shared by the fixture generators.

Nothing here is a recording: notes are additive harmonic tones with exponential decay, drums
are a pitched-down sine (kick) and high-passed noise bursts (hi-hat), so the fixtures can be
committed under the project's licence.
"""
import numpy as np

SCALE = [0, 2, 4, 5, 7, 9, 11]


def note(sr, f0, dur, n_harm=8, decay=3.0, inharm=0.0, rng=None):
    t = np.arange(int(sr * dur)) / sr
    out = np.zeros_like(t)
    for h in range(1, n_harm + 1):
        f = f0 * h * np.sqrt(1 + inharm * h * h)
        if f >= sr / 2:
            break
        out += np.sin(2 * np.pi * f * t + (rng.uniform(0, 6.28) if rng is not None else 0)) / h
    env = np.exp(-decay * t) * np.minimum(1.0, t / 0.005)
    return out * env


def kick(sr, dur=0.3):
    t = np.arange(int(sr * dur)) / sr
    f = 50 + 100 * np.exp(-t * 30)
    return np.sin(2 * np.pi * np.cumsum(f) / sr) * np.exp(-t * 12)


def hat(sr, rng, dur=0.06):
    n = int(sr * dur)
    x = rng.standard_normal(n)
    x = np.diff(x, prepend=0.0)  # crude high-pass
    return 0.3 * x * np.exp(-np.arange(n) / sr * 60)


def music(sr, seconds, seed, tempo=120.0, drums=True, gain_curve=None, inharm=0.0, decay=3.0):
    """A melody + chords (+ drums) mono signal normalised to peak 0.5."""
    rng = np.random.default_rng(seed)
    n = int(sr * seconds)
    y = np.zeros(n + sr)
    beat = 60.0 / tempo
    t = 0.0
    root = 48 + int(rng.integers(0, 12))
    while t < seconds:
        i = int(t * sr)
        # chord every 2 beats
        deg = int(rng.integers(0, 7))
        for k in (0, 2, 4):
            midi = root + SCALE[(deg + k) % 7] + 12 * ((deg + k) // 7)
            x = note(sr, 440 * 2 ** ((midi - 69) / 12), 2 * beat, 6, decay, inharm, rng) * 0.15
            y[i:i + len(x)] += x[: len(y) - i]
        for b in range(4):
            j = int((t + b * beat / 2) * sr)
            midi = root + 12 + SCALE[int(rng.integers(0, 7))]
            x = note(sr, 440 * 2 ** ((midi - 69) / 12), beat / 2, 8, decay * 2, inharm, rng) * 0.2
            y[j:j + len(x)] += x[: len(y) - j]
            if drums:
                if b % 2 == 0:
                    x = kick(sr) * 0.5
                    y[j:j + len(x)] += x[: len(y) - j]
                x = hat(sr, rng)
                y[j:j + len(x)] += x[: len(y) - j]
        t += 2 * beat
    y = y[:n]
    if gain_curve is not None:
        y = y * gain_curve(np.arange(n) / sr)
    return 0.5 * y / max(np.max(np.abs(y)), 1e-9)


def write_wav16(path, x, sr):
    """x: (frames,) or (frames, channels) float in [-1, 1]."""
    import wave
    x = np.asarray(x)
    if x.ndim == 1:
        x = x[:, None]
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype('<i2')
    with wave.open(path, 'wb') as w:
        w.setnchannels(x.shape[1])
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(pcm.tobytes())


def read_wav16(path):
    import wave
    with wave.open(path, 'rb') as w:
        sr, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        x = np.frombuffer(w.readframes(n), dtype='<i2').astype(np.float64) / 32768
    return x.reshape(-1, ch), sr
