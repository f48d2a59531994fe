//! Shared helpers of the benchmarks: fixture paths and synthetic signals.

use std::path::PathBuf;

/// The repository's `testdata/formats` directory.
pub fn formats_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata/formats")
}

/// `seconds` of a deterministic music-like test signal at `sr`: a chord, a slow vibrato tone
/// and pseudo-random noise bursts.
pub fn test_signal(sr: u32, seconds: f32) -> Vec<f32> {
    let n = (sr as f32 * seconds) as usize;
    let mut state = 0x9E37_79B9u32;
    (0..n)
        .map(|i| {
            let t = i as f32 / sr as f32;
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state as f32 / u32::MAX as f32 - 0.5) * if (t * 4.0).fract() < 0.05 { 0.8 } else { 0.02 };
            let chord: f32 =
                [220.0f32, 277.18, 329.63].iter().map(|f| 0.1 * (std::f32::consts::TAU * f * t).sin()).sum();
            let vib = 0.1 * (std::f32::consts::TAU * (880.0 * t + 3.0 * (std::f32::consts::TAU * 5.0 * t).sin())).sin();
            chord + vib + noise
        })
        .collect()
}
