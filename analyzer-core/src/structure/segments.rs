//! Segments: short, onset-aligned sound events with loudness envelope, pitches and timbre, in
//! the shape of Spotify's `audio-analysis` segments.
//!
//! Boundaries are the detected onsets (from [`crate::rhythm`]); onsets closer than
//! [`SegmentConfig::min_duration`] are merged (the stronger one is kept), and stretches longer than
//! [`SegmentConfig::max_duration`] without an onset are split evenly, so segments stay in the
//! 0.1–1 s range the Echo Nest analyzer produced. The first segment starts at 0 and the last
//! ends at the end of the audio: segments tile the track without gaps or overlaps.
//!
//! Per segment: `loudness_start` is the level of the first frame, `loudness_max` the highest
//! frame level and `loudness_max_time` its offset from the segment start, `loudness_end` the
//! level of the last frame (all dB, see [`super::features`]); `pitches` is the mean chroma,
//! scaled so the strongest class is 1 (flat noise or silence gives all classes near 1);
//! `timbre` is the mean of the 12 cepstral coefficients. `confidence` is the onset strength at
//! the boundary relative to the strongest onset of the track (1 for the first segment only when
//! the track starts with an onset; a split without an onset has confidence 0).
//!
//! # References
//! - T. Jehan, "Creating music by listening", PhD thesis, MIT, 2005 (the segment model behind
//!   the Echo Nest analyzer).
//! - S. Böck, G. Widmer, "Maximum filter vibrato suppression for onset detection", DAFx 2013.

use super::features::{FrameFeatures, N_DIMS, mean_rows, normalize_max};
use crate::error::{AnalyzerError, Result, check};

/// Default shortest segment in seconds.
pub const DEFAULT_MIN_DURATION: f64 = 0.1;
/// Default longest segment in seconds before an even split.
pub const DEFAULT_MAX_DURATION: f64 = 1.0;

/// Parameters of the segmentation.
#[derive(Debug, Clone, PartialEq)]
pub struct SegmentConfig {
    /// Shortest segment in seconds (onsets closer than this are merged).
    pub min_duration: f64,
    /// Longest segment in seconds (longer stretches are split evenly).
    pub max_duration: f64,
}

impl Default for SegmentConfig {
    fn default() -> Self {
        Self { min_duration: DEFAULT_MIN_DURATION, max_duration: DEFAULT_MAX_DURATION }
    }
}

impl SegmentConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::positive_f32("min_duration", self.min_duration as f32)?;
        if !(self.max_duration.is_finite() && self.max_duration >= 2.0 * self.min_duration) {
            return Err(AnalyzerError::invalid("max_duration", "must be finite and >= 2 x min_duration"));
        }
        Ok(())
    }
}

/// One segment (Spotify's `audio-analysis` segment object).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Segment {
    /// Start in seconds.
    pub start: f64,
    /// Duration in seconds.
    pub duration: f64,
    /// Confidence in 0–1 of the boundary at `start`.
    pub confidence: f32,
    /// Level at the start in dB.
    pub loudness_start: f32,
    /// Highest level in dB.
    pub loudness_max: f32,
    /// Offset of the highest level from `start` in seconds.
    pub loudness_max_time: f64,
    /// Level at the end in dB.
    pub loudness_end: f32,
    /// Pitch-class content, strongest class = 1 (index 0 = C).
    pub pitches: [f32; N_DIMS],
    /// Timbre coefficients (see [`super::features`]).
    pub timbre: [f32; N_DIMS],
}

/// Builds the segments of a track of `duration` seconds from onset times (seconds) and their
/// strengths (any non-negative scale), using the frame features.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config, or onset and strength lists of
/// different lengths.
pub fn segments(
    features: &FrameFeatures,
    onsets: &[f64],
    strengths: &[f32],
    duration: f64,
    config: &SegmentConfig,
) -> Result<Vec<Segment>> {
    config.validate()?;
    if onsets.len() != strengths.len() {
        return Err(AnalyzerError::invalid("strengths", "must have one value per onset"));
    }
    if !(duration.is_finite() && duration > 0.0) || features.is_empty() {
        return Ok(Vec::new());
    }
    let max_strength = strengths.iter().copied().filter(|s| s.is_finite()).fold(0.0f32, f32::max);
    let conf = |s: f32| if max_strength > 0.0 && s.is_finite() { (s / max_strength).clamp(0.0, 1.0) } else { 0.0 };

    // Boundaries: (time, confidence), starting at 0, merging onsets closer than min_duration.
    let mut bounds: Vec<(f64, f32)> = vec![(0.0, 0.0)];
    let mut order: Vec<usize> = (0..onsets.len()).filter(|&i| onsets[i].is_finite()).collect();
    order.sort_by(|&a, &b| onsets[a].total_cmp(&onsets[b]));
    for i in order {
        let (t, c) = (onsets[i], conf(strengths[i]));
        if t < 0.0 || t >= duration - config.min_duration {
            if t >= 0.0 && t < config.min_duration {
                bounds[0].1 = bounds[0].1.max(c);
            }
            continue;
        }
        let last = bounds.last_mut().expect("bounds start non-empty");
        if t - last.0 < config.min_duration {
            // Keep the stronger of two close onsets (the first boundary stays at 0).
            if c > last.1 {
                if last.0 > 0.0 {
                    last.0 = t;
                }
                last.1 = c;
            }
            continue;
        }
        bounds.push((t, c));
    }
    // Split long stretches evenly.
    let mut split: Vec<(f64, f32)> = Vec::with_capacity(bounds.len());
    for (k, &(t, c)) in bounds.iter().enumerate() {
        split.push((t, c));
        let end = bounds.get(k + 1).map_or(duration, |b| b.0);
        let pieces = ((end - t) / config.max_duration).ceil().max(1.0) as usize;
        for p in 1..pieces {
            split.push((t + (end - t) * p as f64 / pieces as f64, 0.0));
        }
    }

    let mut out = Vec::with_capacity(split.len());
    for (k, &(start, confidence)) in split.iter().enumerate() {
        let end = split.get(k + 1).map_or(duration, |b| b.0);
        // Frames whose windows do not reach into the next segment's attack.
        let (a, b) = features.frames_within(start, end);
        let levels = &features.loudness_db[a..b];
        let (imax, &lmax) =
            levels.iter().enumerate().max_by(|x, y| x.1.total_cmp(y.1)).expect("segment spans at least one frame");
        let max_time = ((a + imax) as f64 / features.frame_rate as f64 - start).clamp(0.0, end - start);
        out.push(Segment {
            start,
            duration: end - start,
            confidence,
            loudness_start: levels[0],
            loudness_max: lmax,
            loudness_max_time: max_time,
            loudness_end: *levels.last().expect("non-empty"),
            pitches: normalize_max(mean_rows(&features.chroma, a, b)),
            timbre: mean_rows(&features.timbre, a, b),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::features::{FrameFeatureConfig, frame_features};

    const SR: u32 = 22050;

    fn feats(y: &[f32]) -> FrameFeatures {
        frame_features(y, SR, &FrameFeatureConfig::default()).unwrap()
    }

    fn check_tiling(segs: &[Segment], duration: f64) {
        assert!(!segs.is_empty());
        assert_eq!(segs[0].start, 0.0);
        for w in segs.windows(2) {
            assert!((w[0].start + w[0].duration - w[1].start).abs() < 1e-9);
        }
        let last = segs.last().unwrap();
        assert!((last.start + last.duration - duration).abs() < 1e-9);
        for s in segs {
            assert!(s.duration > 0.0 && s.duration <= DEFAULT_MAX_DURATION + 1e-9, "{}", s.duration);
            assert!((0.0..=1.0).contains(&s.confidence));
            assert!(s.loudness_max >= s.loudness_start && s.loudness_max >= s.loudness_end);
            assert!(s.loudness_max_time >= 0.0 && s.loudness_max_time <= s.duration);
            assert!(s.pitches.iter().chain(&s.timbre).all(|v| v.is_finite()));
            assert!(s.pitches.contains(&1.0));
        }
    }

    #[test]
    fn clicks_give_one_segment_per_click_and_tile_the_track() {
        let mut y = vec![0.0f32; 3 * SR as usize];
        let onsets: Vec<f64> = (0..6).map(|i| 0.25 + 0.5 * i as f64).collect();
        for &t in &onsets {
            let i = (t * SR as f64) as usize;
            for (k, v) in y[i..i + 200].iter_mut().enumerate() {
                *v = (1.0 - k as f32 / 200.0) * if k % 2 == 0 { 1.0 } else { -1.0 };
            }
        }
        let segs = segments(&feats(&y), &onsets, &[1.0; 6], 3.0, &SegmentConfig::default()).unwrap();
        check_tiling(&segs, 3.0);
        assert_eq!(segs.len(), 7);
        for (s, &t) in segs[1..].iter().zip(&onsets) {
            assert!((s.start - t).abs() < 1e-9);
            assert_eq!(s.confidence, 1.0);
            // The loudest frame is at the click, not 0.4 s later.
            assert!(s.loudness_max_time < 0.1, "{}", s.loudness_max_time);
            assert!(s.loudness_max > s.loudness_end + 20.0);
        }
    }

    #[test]
    fn close_onsets_merge_and_long_gaps_split() {
        let y = vec![0.0f32; 5 * SR as usize];
        let segs = segments(&feats(&y), &[1.0, 1.03, 1.05], &[0.2, 1.0, 0.5], 5.0, &SegmentConfig::default()).unwrap();
        check_tiling(&segs, 5.0);
        assert!(segs.iter().any(|s| (s.start - 1.03).abs() < 1e-9 && s.confidence == 1.0));
        assert!(!segs.iter().any(|s| (s.start - 1.0).abs() < 1e-9 || (s.start - 1.05).abs() < 1e-9));
    }

    #[test]
    fn silence_without_onsets_is_split_into_flat_segments() {
        let y = vec![0.0f32; 4 * SR as usize];
        let segs = segments(&feats(&y), &[], &[], 4.0, &SegmentConfig::default()).unwrap();
        check_tiling(&segs, 4.0);
        assert!(segs.iter().all(|s| s.pitches == [1.0; N_DIMS] && s.confidence == 0.0));
    }

    #[test]
    fn empty_and_degenerate_inputs() {
        let f = feats(&[]);
        assert!(segments(&f, &[], &[], 0.0, &SegmentConfig::default()).unwrap().is_empty());
        let f = feats(&[0.5; 100]);
        let segs =
            segments(&f, &[f64::NAN, -1.0, 99.0], &[1.0, 1.0, 1.0], 100.0 / SR as f64, &SegmentConfig::default())
                .unwrap();
        check_tiling(&segs, 100.0 / SR as f64);
        assert!(segments(&f, &[0.1], &[], 1.0, &SegmentConfig::default()).is_err());
    }

    #[test]
    fn invalid_config_is_rejected() {
        let f = feats(&[0.0; 1000]);
        for cfg in [
            SegmentConfig { min_duration: 0.0, ..Default::default() },
            SegmentConfig { max_duration: 0.15, ..Default::default() },
            SegmentConfig { max_duration: f64::INFINITY, ..Default::default() },
        ] {
            assert!(matches!(segments(&f, &[], &[], 1.0, &cfg), Err(AnalyzerError::InvalidParameter { .. })));
        }
    }
}
