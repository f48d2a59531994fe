//! Descriptor and loudness benchmarks: `compute_descriptors` on 30 s of 22.05 kHz mono, and the
//! BS.1770 meter on 30 s of 44.1 kHz stereo.

use analyzer_core::descriptors::{
    ChannelRole, DescriptorConfig, LoudnessConfig, LoudnessMeter, MusicalContext, compute_descriptors,
};
use criterion::{Criterion, criterion_group, criterion_main};

/// A deterministic music-like test signal: a chord with a slow tremolo plus clicks at 120 BPM
/// and a little noise.
fn signal(sr: u32, seconds: f32) -> Vec<f32> {
    let n = (sr as f32 * seconds) as usize;
    let beat = (sr as f32 * 0.5) as usize;
    let mut state = 1u32;
    (0..n)
        .map(|i| {
            let t = i as f32 / sr as f32;
            let chord: f32 = [220.0f32, 277.18, 329.63].iter().map(|f| (t * f * std::f32::consts::TAU).sin()).sum();
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
            let click = if i % beat < 200 { noise * 2.0 } else { 0.0 };
            0.1 * chord * (1.0 + 0.3 * (t * 3.0).sin()) + 0.3 * click + 0.01 * noise
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let y = signal(22_050, 30.0);
    let cfg = DescriptorConfig::default();
    let ctx = MusicalContext::default();
    // As the pipeline calls it: loudness already measured by the decoder.
    let stats =
        analyzer_core::descriptors::measure_loudness(&y, 22_050, &[ChannelRole::Front], &LoudnessConfig::default())
            .unwrap();
    c.bench_function("compute_descriptors_30s_22k", |b| {
        b.iter(|| compute_descriptors(std::hint::black_box(&y), 22_050, Some(&stats), &ctx, &cfg).unwrap())
    });
    c.bench_function("compute_descriptors_30s_22k_mono_loudness_fallback", |b| {
        b.iter(|| compute_descriptors(std::hint::black_box(&y), 22_050, None, &ctx, &cfg).unwrap())
    });

    let mono = signal(44_100, 30.0);
    let stereo: Vec<f32> = mono.iter().flat_map(|&v| [v, 0.8 * v]).collect();
    let roles = ChannelRole::default_layout(2);
    c.bench_function("loudness_meter_30s_44k_stereo", |b| {
        b.iter(|| {
            let mut m = LoudnessMeter::new(44_100, &roles, LoudnessConfig::default()).unwrap();
            m.push_interleaved(std::hint::black_box(&stereo));
            m.finish()
        })
    });
    let no_tp = LoudnessConfig { true_peak: false, ..LoudnessConfig::default() };
    c.bench_function("loudness_meter_30s_44k_stereo_no_true_peak", |b| {
        b.iter(|| {
            let mut m = LoudnessMeter::new(44_100, &roles, no_tp.clone()).unwrap();
            m.push_interleaved(std::hint::black_box(&stereo));
            m.finish()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
