//! The tempo + beats stage on a 30-second clip, with throughput in audio samples per second
//! (divide elements/s by 22050 for x realtime):
//! - `tempo_beats_from_envelope`: `estimate_tempo` + `track_beats` on a precomputed onset
//!   envelope (the comb's tempo, without the metrical-level model);
//! - `tempo_level_beats_from_onset_strength`: `estimate_tempo` + `track_beats` at the comb's
//!   tempo + `choose_level` (the fitted metrical-level model, which reads the band spectrogram
//!   and those beats) + `track_beats` at the chosen tempo, on a precomputed onset strength (the
//!   stage alone, as the analysis runs it);
//! - `onset_stft_frames_only`: the onset detector's STFT frames alone (n_fft 1024, hop 256: the
//!   floor under the onset strength);
//! - `onset_strength_from_samples`: the SuperFlux onset strength alone;
//! - `onset_tempo_beats_from_samples`: SuperFlux onset strength + tempo + level + beats from
//!   samples;
//! - `analyze_rhythm_from_samples`: the whole rhythm analysis (adds onsets, meter, tatums).
//!
//! Decoding is excluded (see the `xrealtime` and `eval_tempo` binaries for decode speed).

use analyzer_benches::test_signal;
use analyzer_core::rhythm::{
    BeatConfig, LevelConfig, OnsetConfig, OnsetPeakConfig, OnsetStrength, RhythmConfig, SuperFlux, TempoConfig,
    analyze_rhythm, choose_level, estimate_tempo, onset_detect, track_beats,
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;

const SR: u32 = 22050;
const SECONDS: f32 = 30.0;

fn rhythm(c: &mut Criterion) {
    let y = test_signal(SR, SECONDS);
    let detector = SuperFlux::new(OnsetConfig::default(), SR).unwrap();
    let os = detector.compute(&y);
    let (tempo_cfg, beat_cfg, level_cfg) = (TempoConfig::default(), BeatConfig::default(), LevelConfig::default());
    let n_onsets = onset_detect(&os.envelope, os.frame_rate, &OnsetPeakConfig::default()).unwrap().len();
    let tempo_level_beats = |os: &OnsetStrength| {
        let t = estimate_tempo(&os.envelope, os.frame_rate, &tempo_cfg).unwrap();
        let comb_beats = track_beats(&os.envelope, os.frame_rate, t.bpm, t.confidence, &beat_cfg).unwrap();
        let level =
            choose_level(&t, os, n_onsets, f64::from(SECONDS), &comb_beats.frames, &tempo_cfg, &level_cfg).unwrap();
        track_beats(&os.envelope, os.frame_rate, level.bpm, t.confidence * level.probability, &beat_cfg).unwrap()
    };
    let mut g = c.benchmark_group("rhythm_30s");
    g.sample_size(20);
    g.throughput(Throughput::Elements(y.len() as u64));
    g.bench_function("tempo_beats_from_envelope", |b| {
        b.iter(|| {
            let t = estimate_tempo(black_box(&os.envelope), os.frame_rate, &tempo_cfg).unwrap();
            track_beats(&os.envelope, os.frame_rate, t.bpm, t.confidence, &beat_cfg).unwrap()
        })
    });
    g.bench_function("tempo_level_beats_from_onset_strength", |b| b.iter(|| tempo_level_beats(black_box(&os))));
    g.bench_function("onset_stft_frames_only", |b| {
        b.iter(|| {
            detector.stft().for_each_frame(black_box(&y), |_, x| {
                black_box(x);
            })
        })
    });
    g.bench_function("onset_strength_from_samples", |b| b.iter(|| detector.compute(black_box(&y))));
    g.bench_function("onset_tempo_beats_from_samples", |b| {
        b.iter(|| {
            let os = detector.compute(black_box(&y));
            tempo_level_beats(&os)
        })
    });
    let cfg = RhythmConfig::default();
    g.bench_function("analyze_rhythm_from_samples", |b| b.iter(|| analyze_rhythm(black_box(&y), SR, &cfg).unwrap()));
    g.finish();
}

criterion_group!(benches, rhythm);
criterion_main!(benches);
