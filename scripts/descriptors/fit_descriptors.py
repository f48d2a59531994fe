#!/usr/bin/env python3
"""Builds the labelled calibration set for the descriptors, fits their logistic weights and
writes `analyzer-core/src/descriptors/model.json`.

Recipe (every step is deterministic; nothing from the evaluation data enters the repository):

1. Sources, read in place from `--evaldata` (default ../shared/evaldata), excerpts of
   CLIP_S seconds decoded by ffmpeg to 22.05 kHz mono:
   - electronic: giantsteps_dev (EDM excerpts, 1 clip each);
   - acoustic: real_examples recordings of acoustic instruments (classical strings, solo
     trumpet, folk/pop, ragtime piano, waltz, solo saxophone; up to 3 clips each), and the
     pop909_dev renders of acoustic-instrument General MIDI soundfonts (1 clip each; they are
     synthesized, so the AUC is also reported without them). Kevin MacLeod productions, the
     hip-hop drum loop and the unlabelled madmom sample are left out as ambiguous.
   - speech: espeak-ng (Debian package) reading public-domain-style sentences written for this
     script, several voices, speeds and pause lengths, concatenated to CLIP_S seconds.
2. Labelled variants built from each music clip:
   - `music+speech`: the clip with a speech track mixed in at a speech-to-music ratio drawn
     from SMR_DB (podcast over music / rap-like);
   - `live`: the clip convolved with a synthetic hall impulse response (exponentially decaying
     Gaussian noise, RT60 drawn from RT60_S, with a 20 ms pre-delay, mixed at a direct-to-
     reverberant ratio from DRR_DB), plus synthetic crowd noise (babble-like band-passed noise
     with a slow random envelope) and applause (Poisson claps: 5-15 ms high-passed noise
     bursts, dense at the start and the end), at a crowd-to-music ratio from CROWD_DB.
3. Labels: speechiness 1 (speech) / 0.5 (music+speech) / 0 (music); instrumentalness 1 (music
   without vocals: real_examples and pop909) / 0 (music+speech, speech); liveness 1 (live) /
   0 (music); acousticness 1 (acoustic) / 0 (electronic).
4. Features: `target/release/descriptor_features` (benches crate) prints the feature vector
   of every clip.
5. Fit: L2-regularised logistic regression (IRLS, soft labels allowed) on standardised
   features (centre = mean, scale = standard deviation over the training clips), one model per
   descriptor over the feature subsets in MODELS. AUCs are reported with 5-fold
   cross-validation grouped by source (no source is in both the training and the test folds).
6. Energy, danceability and valence have no honest labels here: their weights are the
   documented priors in PRIORS (signs and relative sizes from the literature cited in the
   rustdoc), with centres and scales measured on the music clips.

Usage (needs numpy, ffmpeg, espeak-ng; about 5 minutes on 2 cores):
    cargo build --release -p analyzer-benches --bin descriptor_features
    python3 scripts/descriptors/fit_descriptors.py [--evaldata DIR] [--work DIR] [--write]
Without --write the fitted model goes to WORK/model.json only.
"""
import argparse
import json
import os
import subprocess
import sys
import wave
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SR = 22050
CLIP_S = 20.0
SMR_DB = (-3.0, 9.0)
RT60_S = (1.2, 2.6)
DRR_DB = (-4.0, 2.0)
CROWD_DB = (-18.0, -8.0)
L2 = 1.0
FOLDS = 5

ACOUSTIC_REAL = {"brahms_hungarian_dance_5", "trumpet_loop_F_90bpm", "lets_go_fishin", "pistachio_ragtime",
                 "sweet_waltz", "359500__mtg__sax-tenor-e-major", "359628__mtg__sax-tenor-d-minor"}

SENTENCES = [
    "The committee met on Tuesday to discuss the budget for the coming year.",
    "Please remember to close the windows before you leave the building tonight.",
    "In the morning the fishermen pulled their boats onto the sandy beach.",
    "Our next guest has travelled a long way to be with us this evening.",
    "The train to the northern coast leaves from platform seven at noon.",
    "She said that the results of the experiment were better than expected.",
    "Turn left at the old church, then follow the river for two miles.",
    "Welcome back to the show, and thank you all for listening.",
    "Scientists have found a new species of frog in the mountain forests.",
    "If you have any questions, you can call us at any time of the day.",
    "The library will be closed on Monday for the public holiday.",
    "He opened the letter slowly and read it twice before he spoke.",
    "Today we are going to talk about the history of the printing press.",
    "The weather will stay dry and sunny until the end of the week.",
    "Yo, check it, we keep it moving, every day we are grooving and improving.",
    "Listen up, the city never sleeps, the rhythm of the street runs deep.",
]
VOICES = ["en-us", "en-gb", "en-us+m3", "en-us+f3", "en-gb+m5", "en-us+f4", "en-gb-x-rp"]

MODELS = {
    "speechiness": ["modulation_4hz", "low_energy_ratio", "pitch_stability", "voiced_ratio", "harmonicity",
                    "vocal_band_ratio", "flatness", "zcr", "mfcc1_std", "mfcc2_std", "mfcc3_std",
                    "dynamic_range_db", "onset_rate", "pulse_clarity"],
    "instrumentalness": ["modulation_4hz", "low_energy_ratio", "pitch_stability", "voiced_ratio", "harmonicity",
                         "vocal_band_ratio", "flatness", "zcr", "mfcc1_std", "mfcc2_std", "mfcc3_std",
                         "dynamic_range_db", "onset_rate", "pulse_clarity"],
    "liveness": ["noise_floor_db", "quiet_flatness", "decay_db_per_s", "flatness", "dynamic_range_db", "flux",
                 "low_energy_ratio", "entropy", "mfcc2_std", "mfcc3_std", "harmonicity"],
    "acousticness": ["low_freq_ratio", "dynamic_range_db", "crest_db", "flatness", "centroid_khz", "pulse_clarity",
                     "beat_strength", "dfa_alpha", "harmonicity", "entropy", "mfcc1_mean", "mfcc2_mean",
                     "mfcc3_mean", "mfcc1_std", "mfcc2_std", "onset_rate"],
}

# Priors for the descriptors without labels: feature -> weight per standard deviation.
PRIORS = {
    "energy": {"loudness_lufs": 1.0, "dynamic_range_db": -0.5, "onset_rate": 0.6, "entropy": 0.5,
               "centroid_khz": 0.4, "flatness": 0.4, "flux": 0.4},
    "danceability": {"pulse_clarity": 0.9, "beat_strength": 0.7, "dfa_alpha": -0.6,
                     "tempo_octave_distance": -0.6, "low_freq_ratio": 0.3},
    "valence": {"mode_major": 0.6, "tempo_bpm": 0.4, "centroid_khz": 0.3, "harmonicity": 0.2,
                "onset_rate": 0.2},
}
# Fixed centres/scales for features whose range is known a priori (not measurable on data
# without a musical context): mode is 0/1 with 0.5 unknown; tempo distance in octaves.
FIXED_STANDARDISATION = {"mode_major": (0.5, 0.5), "tempo_octave_distance": (0.3, 0.3)}


def decode(path, offset, seconds):
    p = subprocess.run(["ffmpeg", "-v", "error", "-ss", str(offset), "-t", str(seconds), "-i", path, "-ac", "1",
                        "-ar", str(SR), "-f", "f32le", "-"], capture_output=True, check=True)
    return np.frombuffer(p.stdout, dtype="<f4").astype(np.float64)


def duration(path):
    p = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                       capture_output=True, text=True)
    try:
        return float(p.stdout.strip())
    except ValueError:
        return 0.0


def write_wav(path, x):
    pcm = np.clip(np.round(x * 32767), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.tobytes())


def espeak(text, voice, speed, pitch):
    p = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
                       capture_output=True, check=True)
    raw = p.stdout
    # espeak-ng writes a 22050 Hz 16-bit mono WAV whose header sizes may be unset when piped.
    data = raw[raw.find(b"data") + 8:]
    x = np.frombuffer(data[: len(data) // 2 * 2], dtype="<i2").astype(np.float64) / 32768
    return x


def speech_track(rng, seconds):
    out = []
    n = 0
    voice = VOICES[int(rng.integers(len(VOICES)))]
    speed = int(rng.integers(140, 200))
    pitch = int(rng.integers(30, 70))
    while n < seconds * SR:
        s = espeak(SENTENCES[int(rng.integers(len(SENTENCES)))], voice, speed, pitch)
        gap = np.zeros(int(SR * rng.uniform(0.15, 0.7)))
        out += [s, gap]
        n += len(s) + len(gap)
    x = np.concatenate(out)[: int(seconds * SR)]
    return x / max(np.max(np.abs(x)), 1e-9) * 0.5


def rms(x):
    return np.sqrt(np.mean(x * x) + 1e-20)


def fft_convolve(x, h):
    n = len(x) + len(h) - 1
    nfft = 1 << (n - 1).bit_length()
    return np.fft.irfft(np.fft.rfft(x, nfft) * np.fft.rfft(h, nfft), nfft)[: len(x)]


def hall_ir(rng, rt60):
    n = int(SR * rt60 * 1.2)
    t = np.arange(n) / SR
    ir = rng.standard_normal(n) * np.exp(-6.91 * t / rt60)
    # Air absorption: the tail gets darker (one-pole low-pass with a time-varying mix).
    lp = np.copy(ir)
    for i in range(1, n):
        lp[i] = 0.7 * lp[i - 1] + 0.3 * ir[i]
    mix = np.minimum(1.0, t / rt60)
    ir = (1 - mix) * ir + mix * lp
    pre = np.zeros(int(0.02 * SR))
    return np.concatenate([pre, ir]) / np.sqrt(np.sum(ir * ir))


def crowd(rng, n):
    # Babble-like: band-passed noise (300-3000 Hz) with a slow random envelope.
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    spec *= ((f > 300) & (f < 3000)) / np.sqrt(np.maximum(f, 1) / 300)
    babble = np.fft.irfft(spec, n)
    env = np.interp(np.arange(n), np.linspace(0, n, 40), 0.6 + 0.4 * rng.random(40))
    babble *= env / rms(babble)
    # Applause: Poisson claps, dense in the first and last 3 s, sparse in between.
    claps = np.zeros(n)
    t = 0.0
    while t < n / SR:
        edge = t < 3.0 or t > n / SR - 3.0
        t += rng.exponential(1 / (250.0 if edge else 8.0))
        i = int(t * SR)
        ln = int(SR * rng.uniform(0.005, 0.015))
        if i + ln < n:
            b = np.diff(rng.standard_normal(ln + 1)) * np.exp(-np.arange(ln) / ln * 5)
            claps[i:i + ln] += b * rng.uniform(0.3, 1.0)
    claps /= max(rms(claps), 1e-9)
    return babble + 0.8 * claps


def make_live(rng, x):
    h = hall_ir(rng, rng.uniform(*RT60_S))
    wet = fft_convolve(x, h)
    drr = 10 ** (rng.uniform(*DRR_DB) / 20)
    y = drr * x / rms(x) + wet / rms(wet)
    y *= rms(x) / rms(y)
    c = crowd(rng, len(x))
    y += c * rms(y) * 10 ** (rng.uniform(*CROWD_DB) / 20)
    return y / max(np.max(np.abs(y)), 1e-9) * min(0.9, np.max(np.abs(x)) * 1.2 + 1e-3)


def fit_length(s, n):
    return np.pad(s, (0, max(0, n - len(s))))[:n]


def mix_speech(rng, x, s):
    s = fit_length(s, len(x))
    smr = 10 ** (rng.uniform(*SMR_DB) / 20)
    y = x + s / rms(s) * rms(x) * smr
    return y / max(np.max(np.abs(y)), 1e-9) * 0.8


def build(evaldata, work):
    clips = []
    os.makedirs(work, exist_ok=True)
    sources = []
    for split in ["giantsteps_dev", "pop909_dev", "real_examples"]:
        man = os.path.join(evaldata, split, "manifest.jsonl")
        for line in open(man):
            r = json.loads(line)
            path = os.path.join(evaldata, split, r["path"])
            if split == "giantsteps_dev":
                sources.append((r["id"], path, "electronic", False, 1))
            elif split == "pop909_dev":
                sources.append((r["id"], path, "acoustic_render", True, 1))
            elif r["id"] in ACOUSTIC_REAL:
                sources.append((r["id"], path, "acoustic_real", True, 3))
    for si, (sid, path, kind, instrumental, n_clips) in enumerate(sources):
        dur = duration(path)
        n_clips = max(1, min(n_clips, int(dur // CLIP_S)))
        for c in range(n_clips):
            rng = np.random.default_rng(1000 * si + c)
            off = c * CLIP_S if n_clips > 1 else max(0.0, min(30.0, dur - CLIP_S))
            x = decode(path, off, CLIP_S)
            if len(x) < SR * 5 or rms(x) < 1e-4:
                continue
            base = os.path.join(work, f"{sid}_{c}")
            write_wav(base + "_music.wav", x / max(np.max(np.abs(x)), 1e-9) * 0.8)
            clips.append({"path": base + "_music.wav", "source": sid, "kind": kind, "variant": "music",
                          "instrumental": instrumental})
            s = speech_track(rng, len(x) / SR)
            write_wav(base + "_speech.wav", mix_speech(rng, x, s))
            clips.append({"path": base + "_speech.wav", "source": sid, "kind": kind, "variant": "music+speech",
                          "instrumental": False})
            write_wav(base + "_live.wav", make_live(rng, x))
            clips.append({"path": base + "_live.wav", "source": sid, "kind": kind, "variant": "live",
                          "instrumental": instrumental})
    for k in range(24):
        rng = np.random.default_rng(50_000 + k)
        p = os.path.join(work, f"speech_{k}.wav")
        write_wav(p, speech_track(rng, CLIP_S))
        clips.append({"path": p, "source": f"speech_{k}", "kind": "speech", "variant": "speech",
                      "instrumental": False})
    with open(os.path.join(work, "clips.jsonl"), "w") as fh:
        for c in clips:
            fh.write(json.dumps(c) + "\n")
    return clips


def features(work, clips, binary):
    out = os.path.join(work, "features.jsonl")
    with open(out, "w") as fh:
        subprocess.run(["nice", "-n", "10", binary], input="\n".join(c["path"] for c in clips), text=True,
                       stdout=fh, check=True)
    rows = {}
    for line in open(out):
        r = json.loads(line)
        rows[r["path"]] = r["features"]
    return rows


def labels(c):
    """Per-descriptor target (None: not used for that descriptor)."""
    v, kind = c["variant"], c["kind"]
    lab = {}
    lab["speechiness"] = {"speech": 1.0, "music+speech": 0.5, "music": 0.0}.get(v)
    if v == "speech" or v == "music+speech":
        lab["instrumentalness"] = 0.0
    elif v == "music" and c["instrumental"]:
        lab["instrumentalness"] = 1.0
    lab["liveness"] = {"live": 1.0, "music": 0.0}.get(v)
    if v == "music" and kind != "speech":
        lab["acousticness"] = 0.0 if kind == "electronic" else 1.0
    return {k: x for k, x in lab.items() if x is not None}


def fit_logistic(X, y, l2=L2, iters=50):
    n, d = X.shape
    Xb = np.hstack([np.ones((n, 1)), X])
    w = np.zeros(d + 1)
    reg = np.eye(d + 1) * l2
    reg[0, 0] = 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-Xb @ w))
        g = Xb.T @ (p - y) + reg @ w
        H = Xb.T @ (Xb * (p * (1 - p))[:, None]) + reg + 1e-9 * np.eye(d + 1)
        step = np.linalg.solve(H, g)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return w


def auc(scores, y):
    pos, neg = scores[y > 0.5], scores[y < 0.5]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return float(greater / (len(pos) * len(neg)))


def standardise(F):
    c = F.mean(0)
    s = F.std(0)
    s[s < 1e-6] = 1.0
    return c, s


def fit_all(clips, feats):
    model = {"version": 1, "source": (
        "scripts/descriptors/fit_descriptors.py: speechiness, instrumentalness, liveness, acousticness fitted "
        "(L2 logistic regression) on clips built from ../shared/evaldata dev splits + espeak-ng speech + synthetic "
        "crowd/reverb; energy, danceability, valence are priors with data-derived centres/scales")}
    report = {}
    for name, names in MODELS.items():
        rows = [(c, labels(c)[name]) for c in clips if name in labels(c) and c["path"] in feats]
        F = np.array([[feats[c["path"]][f] for f in names] for c, _ in rows])
        y = np.array([t for _, t in rows])
        groups = np.array([zlib.crc32(c["source"].encode()) % FOLDS for c, _ in rows])
        c, s = standardise(F)
        w = fit_logistic((F - c) / s, y)
        model[name] = {"bias": float(w[0]), "terms": [
            {"feature": f, "center": float(c[i]), "scale": float(s[i]), "weight": float(w[i + 1])}
            for i, f in enumerate(names)]}
        # Grouped cross-validation.
        cv = np.zeros(len(y))
        for k in range(FOLDS):
            tr, te = groups != k, groups == k
            if te.sum() == 0 or len(set(y[tr] > 0.5)) < 2:
                continue
            ck, sk = standardise(F[tr])
            wk = fit_logistic((F[tr] - ck) / sk, y[tr])
            z = np.clip((F[te] - ck) / sk, -5, 5)
            cv[te] = 1 / (1 + np.exp(-(wk[0] + z @ wk[1:])))
        report[name] = {"n": int(len(y)), "cv_auc": auc(cv, y)}
        if name == "acousticness":
            real = np.array([c["kind"] in ("electronic", "acoustic_real") for c, _ in rows])
            report[name]["cv_auc_real_acoustic_only"] = auc(cv[real], y[real])
            report[name]["n_real_acoustic"] = int(sum(1 for c, _ in rows if c["kind"] == "acoustic_real"))
            report[name]["n_electronic"] = int(sum(1 for c, _ in rows if c["kind"] == "electronic"))
    music = [c for c in clips if c["variant"] == "music" and c["path"] in feats]
    for name, prior in PRIORS.items():
        terms = []
        for f, wt in prior.items():
            if f in FIXED_STANDARDISATION:
                c, s = FIXED_STANDARDISATION[f]
            else:
                v = np.array([feats[m["path"]][f] for m in music])
                c, s = float(np.median(v)), float(max(v.std(), 1e-6))
            terms.append({"feature": f, "center": c, "scale": s, "weight": wt})
        model[name] = {"bias": 0.0, "terms": terms}
    return model, report


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--evaldata", default=os.path.join(ROOT, "..", "shared", "evaldata"))
    ap.add_argument("--work", default="/tmp/descriptor-calib")
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "descriptor_features"))
    ap.add_argument("--write", action="store_true", help="write analyzer-core/src/descriptors/model.json")
    ap.add_argument("--reuse", action="store_true", help="reuse the clips of WORK/clips.jsonl (features are recomputed)")
    a = ap.parse_args()
    if a.reuse:
        clips = [json.loads(l) for l in open(os.path.join(a.work, "clips.jsonl"))]
    else:
        clips = build(a.evaldata, a.work)
    feats = features(a.work, clips, a.binary)
    model, report = fit_all(clips, feats)
    out = os.path.join(a.work, "model.json")
    for path in [out] + ([os.path.join(ROOT, "analyzer-core", "src", "descriptors", "model.json")] if a.write else []):
        with open(path, "w") as fh:
            json.dump(model, fh, indent=1)
            fh.write("\n")
    print(json.dumps(report, indent=1))
    with open(os.path.join(a.work, "report.json"), "w") as fh:
        json.dump(report, fh, indent=1)


if __name__ == "__main__":
    sys.exit(main())
