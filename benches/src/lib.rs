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

const KEY_NAMES: [&str; 12] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
const KEY_FLAT_NAMES: [&str; 12] = ["C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B"];

/// A manifest key label ("F# minor", "Bb major") as Spotify's `(key, mode)`: pitch class
/// 0 = C … 11 = B, mode 1 major / 0 minor. `None` for anything else.
pub fn parse_key(label: &str) -> Option<(i8, u8)> {
    let mut it = label.split_whitespace();
    let tonic = it.next()?;
    let mode = it.next()?.to_ascii_lowercase();
    let k = KEY_NAMES
        .iter()
        .position(|n| n.eq_ignore_ascii_case(tonic))
        .or_else(|| KEY_FLAT_NAMES.iter().position(|n| n.eq_ignore_ascii_case(tonic)))?;
    Some((k as i8, if mode.starts_with("maj") { 1 } else { 0 }))
}
