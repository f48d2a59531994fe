//! Fade-in and fade-out: Spotify's `end_of_fade_in` and `start_of_fade_out`.
//!
//! The frame levels (dB) are smoothed with a moving average of
//! [`FadeConfig::smoothing_seconds`]; the reference level is the median of the smoothed curve.
//! `end_of_fade_in` is the first time the smoothed level reaches `reference − drop_db`, and
//! `start_of_fade_out` the last such time; a track that starts (ends) loud gives 0 (its
//! duration). Silence gives 0 and the duration.
//!
//! # References
//! - Echo Nest, "Analyzer documentation" v3.08, 2014 (definitions of the two fields).

use super::features::FrameFeatures;
use crate::error::{AnalyzerError, Result, check};

/// Default smoothing window in seconds.
pub const DEFAULT_SMOOTHING_SECONDS: f64 = 1.0;
/// Default level below the reference that counts as faded, in dB.
pub const DEFAULT_DROP_DB: f32 = 10.0;

/// Parameters of the fade detection.
#[derive(Debug, Clone, PartialEq)]
pub struct FadeConfig {
    /// Moving-average window in seconds.
    pub smoothing_seconds: f64,
    /// How far below the median level a frame must be to count as part of a fade, in dB.
    pub drop_db: f32,
}

impl Default for FadeConfig {
    fn default() -> Self {
        Self { smoothing_seconds: DEFAULT_SMOOTHING_SECONDS, drop_db: DEFAULT_DROP_DB }
    }
}

impl FadeConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::positive_f32("smoothing_seconds", self.smoothing_seconds as f32)?;
        if !(self.drop_db.is_finite() && self.drop_db > 0.0) {
            return Err(AnalyzerError::invalid("drop_db", "must be finite and > 0"));
        }
        Ok(())
    }
}

/// Returns `(end_of_fade_in, start_of_fade_out)` in seconds for a track of `duration` seconds.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config.
pub fn fades(features: &FrameFeatures, duration: f64, config: &FadeConfig) -> Result<(f64, f64)> {
    config.validate()?;
    let n = features.len();
    if n == 0 || duration.is_nan() || duration <= 0.0 {
        return Ok((0.0, duration.max(0.0)));
    }
    let half = ((config.smoothing_seconds * features.frame_rate as f64 / 2.0).round() as usize).max(1);
    let mut prefix = vec![0.0f64; n + 1];
    for (i, &d) in features.loudness_db.iter().enumerate() {
        prefix[i + 1] = prefix[i] + d as f64;
    }
    let smooth: Vec<f32> = (0..n)
        .map(|i| {
            let (a, b) = (i.saturating_sub(half), (i + half + 1).min(n));
            ((prefix[b] - prefix[a]) / (b - a) as f64) as f32
        })
        .collect();
    let mut sorted = smooth.clone();
    sorted.sort_by(f32::total_cmp);
    let reference = sorted[n / 2];
    let threshold = reference - config.drop_db;
    let Some(first) = smooth.iter().position(|&d| d >= threshold) else { return Ok((0.0, duration)) };
    let last = smooth.iter().rposition(|&d| d >= threshold).unwrap_or(n - 1);
    let to_s = |i: usize| (i as f64 / features.frame_rate as f64).clamp(0.0, duration);
    let end_in = if first == 0 { 0.0 } else { to_s(first) };
    let start_out = if last + 1 >= n { duration } else { to_s(last) };
    Ok((end_in, start_out.max(end_in)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::features::{FrameFeatureConfig, frame_features};

    const SR: u32 = 22050;

    fn tone(secs: f32, env: impl Fn(f32) -> f32) -> Vec<f32> {
        (0..(secs * SR as f32) as usize)
            .map(|i| {
                let t = i as f32 / SR as f32;
                env(t) * (2.0 * std::f32::consts::PI * 330.0 * t).sin()
            })
            .collect()
    }

    #[test]
    fn linear_fades_are_found() {
        // 5 s fade-in (from -60 dB), 20 s steady, 5 s fade-out, in dB-linear ramps.
        let y = tone(30.0, |t| {
            let db = if t < 5.0 {
                -60.0 + 12.0 * t
            } else if t > 25.0 {
                -12.0 * (t - 25.0)
            } else {
                0.0
            };
            0.5 * 10f32.powf(db / 20.0)
        });
        let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
        let (fade_in, fade_out) = fades(&f, 30.0, &FadeConfig::default()).unwrap();
        assert!((fade_in - 4.2).abs() < 0.7, "{fade_in}");
        assert!((fade_out - 25.8).abs() < 0.7, "{fade_out}");
    }

    #[test]
    fn steady_silent_and_empty_tracks() {
        let f = frame_features(&tone(10.0, |_| 0.5), SR, &FrameFeatureConfig::default()).unwrap();
        assert_eq!(fades(&f, 10.0, &FadeConfig::default()).unwrap(), (0.0, 10.0));
        let f = frame_features(&vec![0.0; SR as usize], SR, &FrameFeatureConfig::default()).unwrap();
        assert_eq!(fades(&f, 1.0, &FadeConfig::default()).unwrap(), (0.0, 1.0));
        let f = frame_features(&[], SR, &FrameFeatureConfig::default()).unwrap();
        assert_eq!(fades(&f, 0.0, &FadeConfig::default()).unwrap(), (0.0, 0.0));
    }

    #[test]
    fn invalid_config_is_rejected() {
        let f = frame_features(&[0.0; 100], SR, &FrameFeatureConfig::default()).unwrap();
        for cfg in [
            FadeConfig { drop_db: 0.0, ..Default::default() },
            FadeConfig { smoothing_seconds: -1.0, ..Default::default() },
        ] {
            assert!(matches!(fades(&f, 1.0, &cfg), Err(AnalyzerError::InvalidParameter { .. })));
        }
    }
}
