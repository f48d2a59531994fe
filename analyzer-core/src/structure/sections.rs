//! Sections: large-scale structure (intro, verse, chorus, ...) by Foote novelty on a
//! self-similarity matrix of chroma and timbre, in the shape of Spotify's `audio-analysis`
//! sections.
//!
//! # Method
//! 1. The frame features are averaged over analysis blocks: beats when the track has at least
//!    [`SectionConfig::min_beats`] of them (beat-synchronous features), otherwise fixed blocks of
//!    [`SectionConfig::block_seconds`].
//! 2. Each block becomes a vector of its max-normalised chroma and its timbre coefficients 1–11
//!    (not the 0th, so that loudness alone does not dominate), every dimension z-scored over the
//!    track's blocks, and the self-similarity `S[i][j]` is the cosine similarity. Z-scoring the
//!    chroma matters: two non-negative chroma vectors share a large common offset, so their
//!    cosine is rarely far below 1 and a change of harmony barely shows; centred on the track's
//!    mean, the chroma contrasts as strongly as the timbre.
//! 3. Novelty `N[i] = Σ_{a,b} K[a][b]·S[i+a][i+b]` with a Gaussian-tapered checkerboard kernel
//!    `K` of half-width [`SectionConfig::kernel_seconds`] (Foote 2000); it peaks where the
//!    music before and after differ.
//! 4. Boundaries are local maxima of `N` at least [`SectionConfig::min_section_seconds`] apart
//!    and above `mean + threshold·std` of `N`; confidence = peak height / highest peak.
//! 5. A boundary inside or within [`SectionConfig::gap_snap_seconds`] of a silent gap (frames at or below
//!    [`SectionConfig::silence_db`] for at least [`SectionConfig::min_silence_seconds`], sound
//!    on both sides) is replaced by the nearest gap's two edges with its confidence: the gap
//!    becomes a section of its own, as structure annotations mark it (SALAMI's "Silence").
//!    The novelty alone puts one boundary where the two sides differ most — a pause between
//!    two songs shows up where the second one starts, seconds after the first one stopped.
//!    Gaps without a novelty boundary near them are rests, not structure.
//!
//! Per section, `loudness` is the power mean of the frame levels (dB); `tempo` is 60 / median
//! inter-beat interval inside the section, with the track's tempo confidence scaled down by the
//! irregularity (coefficient of variation) of those intervals; `key`/`mode` come from the
//! caller's key estimator, given the section's start and end and its chroma frames;
//! `time_signature` is the track's.
//!
//! # References
//! - J. Foote, "Automatic audio segmentation using a measure of audio novelty", ICME 2000.
//! - M. Müller, "Fundamentals of Music Processing", Springer 2015, ch. 4 (novelty-based
//!   segmentation).
//! - J. B. L. Smith et al., "Design and creation of a large-scale database of structural
//!   annotations" (SALAMI), ISMIR 2011 (silence annotated as a section).

use super::features::{FrameFeatures, N_DIMS, mean_rows, normalize_max};
use crate::error::{AnalyzerError, Result, check};

/// Default half-width of the checkerboard kernel in seconds.
pub const DEFAULT_KERNEL_SECONDS: f64 = 8.0;
/// Default shortest section in seconds.
pub const DEFAULT_MIN_SECTION_SECONDS: f64 = 6.0;
/// Default block length in seconds when there are too few beats.
pub const DEFAULT_BLOCK_SECONDS: f64 = 0.5;
/// Default minimum number of beats for beat-synchronous blocks.
pub const DEFAULT_MIN_BEATS: usize = 16;
/// Default peak threshold in standard deviations above the mean novelty.
pub const DEFAULT_THRESHOLD: f32 = 0.5;
/// Default frame level at or below which a frame is silent, in dB (full scale = 0 dB): 5 dB
/// above the frame features' floor, below the quietest passages of recorded music.
pub const DEFAULT_SILENCE_DB: f32 = -55.0;
/// Default shortest silent gap that makes a section of its own, in seconds (longer than the
/// rests inside a phrase).
pub const DEFAULT_MIN_SILENCE_SECONDS: f64 = 1.0;
/// Default distance from a silent gap within which a boundary moves to the gap's edges, in
/// seconds (the novelty marks a change within a beat block or two of where it happens).
pub const DEFAULT_GAP_SNAP_SECONDS: f64 = 1.0;
/// Width of the Gaussian taper relative to the kernel half-width.
const TAPER_SIGMA: f32 = 0.5;
/// Guard against division by zero.
const EPS: f32 = 1e-9;
/// Seconds per minute.
const SECONDS_PER_MINUTE: f64 = 60.0;

/// Parameters of the structural segmentation.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionConfig {
    /// Half-width of the checkerboard kernel in seconds.
    pub kernel_seconds: f64,
    /// Shortest section in seconds.
    pub min_section_seconds: f64,
    /// Block length in seconds when the track has too few beats.
    pub block_seconds: f64,
    /// Minimum number of beats to use beat-synchronous blocks.
    pub min_beats: usize,
    /// Peak threshold in standard deviations above the mean novelty.
    pub threshold: f32,
    /// Frame level at or below which a frame is silent, in dB.
    pub silence_db: f32,
    /// Shortest silent gap inside the track that becomes a section of its own, in seconds.
    pub min_silence_seconds: f64,
    /// A boundary this close to a silent gap (or inside it) moves to the gap's edges, in
    /// seconds (≥ 0).
    pub gap_snap_seconds: f64,
}

impl Default for SectionConfig {
    fn default() -> Self {
        Self {
            kernel_seconds: DEFAULT_KERNEL_SECONDS,
            min_section_seconds: DEFAULT_MIN_SECTION_SECONDS,
            block_seconds: DEFAULT_BLOCK_SECONDS,
            min_beats: DEFAULT_MIN_BEATS,
            threshold: DEFAULT_THRESHOLD,
            silence_db: DEFAULT_SILENCE_DB,
            min_silence_seconds: DEFAULT_MIN_SILENCE_SECONDS,
            gap_snap_seconds: DEFAULT_GAP_SNAP_SECONDS,
        }
    }
}

impl SectionConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::positive_f32("kernel_seconds", self.kernel_seconds as f32)?;
        check::positive_f32("min_section_seconds", self.min_section_seconds as f32)?;
        check::positive_f32("block_seconds", self.block_seconds as f32)?;
        check::at_least("min_beats", self.min_beats, 2)?;
        if !self.threshold.is_finite() {
            return Err(AnalyzerError::invalid("threshold", "must be finite"));
        }
        if !self.silence_db.is_finite() {
            return Err(AnalyzerError::invalid("silence_db", "must be finite"));
        }
        check::positive_f32("min_silence_seconds", self.min_silence_seconds as f32)?;
        check::non_negative("gap_snap_seconds", self.gap_snap_seconds)?;
        Ok(())
    }
}

/// Key of a stretch of music, as returned by the caller's key estimator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SectionKey {
    /// Pitch class, 0 = C; −1 none.
    pub key: i8,
    /// Confidence of `key`.
    pub key_confidence: f32,
    /// 1 major, 0 minor.
    pub mode: u8,
    /// Confidence of `mode`.
    pub mode_confidence: f32,
}

/// Track-level rhythm the sections inherit.
#[derive(Debug, Clone, Copy)]
pub struct SectionRhythm<'a> {
    /// Beat times in seconds.
    pub beats: &'a [f64],
    /// Track tempo in BPM.
    pub tempo: f32,
    /// Track tempo confidence.
    pub tempo_confidence: f32,
    /// Track time signature.
    pub time_signature: u8,
    /// Track time signature confidence.
    pub time_signature_confidence: f32,
}

/// One section (Spotify's `audio-analysis` section object).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Section {
    /// Start in seconds.
    pub start: f64,
    /// Duration in seconds.
    pub duration: f64,
    /// Confidence in 0–1 of the boundary at `start` (1 for the first section).
    pub confidence: f32,
    /// Mean level in dB.
    pub loudness: f32,
    /// Tempo in BPM (0 when the section has fewer than two beats).
    pub tempo: f32,
    /// Tempo confidence.
    pub tempo_confidence: f32,
    /// Key, 0 = C; −1 none.
    pub key: i8,
    /// Key confidence.
    pub key_confidence: f32,
    /// 1 major, 0 minor.
    pub mode: u8,
    /// Mode confidence.
    pub mode_confidence: f32,
    /// Beats per bar.
    pub time_signature: u8,
    /// Time signature confidence.
    pub time_signature_confidence: f32,
}

/// Finds the section boundaries (seconds, confidence), the first at 0.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config.
pub fn section_boundaries(
    features: &FrameFeatures,
    beats: &[f64],
    duration: f64,
    config: &SectionConfig,
) -> Result<Vec<(f64, f32)>> {
    config.validate()?;
    if features.is_empty() || duration.is_nan() || duration <= 0.0 {
        return Ok(vec![(0.0, 1.0)]);
    }
    // 1. Blocks.
    let mut edges: Vec<f64> = if beats.len() >= config.min_beats {
        let mut e: Vec<f64> = beats.iter().copied().filter(|t| t.is_finite() && *t > 0.0 && *t < duration).collect();
        e.insert(0, 0.0);
        e
    } else {
        let n = (duration / config.block_seconds).ceil() as usize;
        (0..n).map(|i| i as f64 * config.block_seconds).collect()
    };
    edges.push(duration);
    edges.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
    let n_blocks = edges.len() - 1;
    if n_blocks < 4 {
        return Ok(vec![(0.0, 1.0)]);
    }
    // 2. Block vectors.
    let frames: Vec<(usize, usize)> = edges
        .windows(2)
        .map(|w| {
            let a = features.frame_at(w[0]);
            (a, features.frame_at(w[1]).max(a + 1))
        })
        .collect();
    let timbre: Vec<[f32; N_DIMS]> = frames.iter().map(|&(a, b)| mean_rows(&features.timbre, a, b)).collect();
    let chromas: Vec<[f32; N_DIMS]> =
        frames.iter().map(|&(a, b)| normalize_max(mean_rows(&features.chroma, a, b))).collect();
    let (t_mean, t_sd) = column_stats(&timbre);
    let (c_mean, c_sd) = column_stats(&chromas);
    let dim = 2 * N_DIMS - 1;
    let vectors: Vec<Vec<f32>> = frames
        .iter()
        .zip(&timbre)
        .zip(&chromas)
        .map(|((_, t), c)| {
            let mut v = Vec::with_capacity(dim);
            v.extend((0..N_DIMS).map(|j| (c[j] - c_mean[j]) / (c_sd[j] + EPS)));
            v.extend((1..N_DIMS).map(|j| (t[j] - t_mean[j]) / (t_sd[j] + EPS)));
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            if norm > EPS {
                v.iter_mut().for_each(|x| *x /= norm);
            }
            v
        })
        .collect();
    // 3. Novelty with a Gaussian-tapered checkerboard kernel (half-width in blocks), from the
    //    band of the self-similarity matrix it needs (|i - j| < 2·half).
    let block_s = duration / n_blocks as f64;
    let half = ((config.kernel_seconds / block_s).round() as usize).clamp(1, n_blocks / 2);
    let width = 2 * half;
    let mut band = vec![0.0f32; n_blocks * width];
    for i in 0..n_blocks {
        for d in 0..width.min(n_blocks - i) {
            band[i * width + d] = crate::simd::dot(&vectors[i], &vectors[i + d]);
        }
    }
    let sim = |p: usize, q: usize| -> f32 {
        let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
        band[lo * width + (hi - lo)]
    };
    let taper: Vec<f32> = (0..half)
        .map(|k| {
            let x = (k as f32 + 0.5) / (half as f32 * TAPER_SIGMA);
            (-0.5 * x * x).exp()
        })
        .collect();
    // Offsets -half..half around the boundary between block i-1 and block i: before = i-1-k,
    // after = i+k. Same-side pairs count +, across pairs −.
    let mut novelty = vec![0.0f32; n_blocks + 1];
    for (i, nv) in novelty.iter_mut().enumerate().take(n_blocks).skip(1) {
        let before: Vec<(usize, f32)> = (0..half.min(i)).map(|k| (i - 1 - k, taper[k])).collect();
        let after: Vec<(usize, f32)> = (0..half.min(n_blocks - i)).map(|k| (i + k, taper[k])).collect();
        let (mut acc, mut wsum) = (0.0f32, 0.0f32);
        for side in [&before, &after] {
            for &(p, wp) in side.iter() {
                for &(q, wq) in side.iter() {
                    acc += wp * wq * sim(p, q);
                    wsum += wp * wq;
                }
            }
        }
        for &(p, wp) in &before {
            for &(q, wq) in &after {
                acc -= 2.0 * wp * wq * sim(p, q);
                wsum += 2.0 * wp * wq;
            }
        }
        *nv = if wsum > 0.0 { acc / wsum } else { 0.0 };
    }
    // 4. Peaks.
    let inner = &novelty[1..n_blocks];
    let mu = inner.iter().sum::<f32>() / inner.len().max(1) as f32;
    let sigma = (inner.iter().map(|x| (x - mu).powi(2)).sum::<f32>() / inner.len().max(1) as f32).sqrt();
    let floor = mu + config.threshold * sigma;
    let mut candidates: Vec<usize> = (1..n_blocks)
        .filter(|&i| novelty[i] > floor && novelty[i] >= novelty[i - 1] && novelty[i] >= novelty[i + 1])
        .collect();
    // Strongest first; keep those at least min_section_seconds from every kept one and from the ends.
    candidates.sort_by(|&a, &b| novelty[b].total_cmp(&novelty[a]).then(a.cmp(&b)));
    let top = candidates.first().map_or(0.0, |&i| novelty[i]).max(EPS);
    let mut kept: Vec<usize> = Vec::new();
    for i in candidates {
        let t = edges[i];
        let far_from_ends = t >= config.min_section_seconds && duration - t >= config.min_section_seconds;
        if far_from_ends && kept.iter().all(|&k| (edges[k] - t).abs() >= config.min_section_seconds) {
            kept.push(i);
        }
    }
    kept.sort_unstable();
    let mut out = vec![(0.0, 1.0)];
    out.extend(kept.into_iter().map(|i| (edges[i], (novelty[i] / top).clamp(0.0, 1.0))));
    // 5. A novelty boundary at a silent gap becomes the gap's two edges.
    Ok(snap_to_gaps(out, &silent_gaps(features, config), duration, config.gap_snap_seconds))
}

/// Replaces every boundary `(time, confidence)` after 0 that lies inside a gap or within `snap`
/// seconds of one by the nearest gap's two edges, with its confidence (the larger one where
/// boundaries meet), keeping edges strictly inside `(0, duration)`; returns them sorted.
fn snap_to_gaps(mut bounds: Vec<(f64, f32)>, gaps: &[(f64, f64)], duration: f64, snap: f64) -> Vec<(f64, f32)> {
    let mut moved: Vec<(usize, f32)> = Vec::new();
    bounds.retain(|&(t, c)| {
        let distance = |&(a, b): &(f64, f64)| if t < a { a - t } else { (t - b).max(0.0) };
        let nearest = (0..gaps.len())
            .filter(|&g| t > 0.0 && distance(&gaps[g]) <= snap)
            .min_by(|&g, &h| distance(&gaps[g]).total_cmp(&distance(&gaps[h])));
        match nearest {
            Some(g) => {
                moved.push((g, c));
                false
            }
            None => true,
        }
    });
    for (g, c) in moved {
        let (a, b) = gaps[g];
        // Frame times can reach the last sample: an edge at or past the end makes no section.
        for edge in [a, b].into_iter().filter(|&t| t > 0.0 && t < duration) {
            match bounds.iter_mut().find(|(t, _)| *t == edge) {
                Some(existing) => existing.1 = existing.1.max(c),
                None => bounds.push((edge, c)),
            }
        }
    }
    bounds.sort_by(|p, q| p.0.total_cmp(&q.0));
    bounds
}

/// The silent gaps `(start, end)` in seconds inside the track: runs of frames at or below
/// `config.silence_db` lasting at least `config.min_silence_seconds`, with a louder frame
/// before and after (silence at the start or end is a fade, not a section).
fn silent_gaps(features: &FrameFeatures, config: &SectionConfig) -> Vec<(f64, f64)> {
    let rate = f64::from(features.frame_rate);
    if rate.is_nan() || rate <= 0.0 {
        return Vec::new();
    }
    let levels = &features.loudness_db;
    let mut gaps = Vec::new();
    let mut i = 0;
    while i < levels.len() {
        if levels[i] > config.silence_db {
            i += 1;
            continue;
        }
        let start = i;
        while i < levels.len() && levels[i] <= config.silence_db {
            i += 1;
        }
        let (a, b) = (start as f64 / rate, i as f64 / rate);
        if start > 0 && i < levels.len() && b - a >= config.min_silence_seconds {
            gaps.push((a, b));
        }
    }
    gaps
}

/// Per-dimension mean and (population) standard deviation of `rows`.
fn column_stats(rows: &[[f32; N_DIMS]]) -> ([f32; N_DIMS], [f32; N_DIMS]) {
    let n = rows.len().max(1) as f32;
    let mut mean = [0.0f32; N_DIMS];
    for r in rows {
        for (m, v) in mean.iter_mut().zip(r) {
            *m += v / n;
        }
    }
    let mut var = [0.0f32; N_DIMS];
    for r in rows {
        for ((s, v), m) in var.iter_mut().zip(r).zip(&mean) {
            *s += (v - m).powi(2) / n;
        }
    }
    (mean, var.map(f32::sqrt))
}

/// The key of a section from its start and end (seconds) and its frames' features.
pub type SectionKeyFn<'a> = dyn Fn(f64, f64, &[[f32; N_DIMS]]) -> SectionKey + 'a;

/// Builds the sections of a track of `duration` seconds.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for an invalid config.
pub fn sections(
    features: &FrameFeatures,
    rhythm: &SectionRhythm<'_>,
    duration: f64,
    config: &SectionConfig,
    key_of: &SectionKeyFn<'_>,
) -> Result<Vec<Section>> {
    let bounds = section_boundaries(features, rhythm.beats, duration, config)?;
    if duration.is_nan() || duration <= 0.0 {
        return Ok(Vec::new());
    }
    let mut out = Vec::with_capacity(bounds.len());
    for (k, &(start, confidence)) in bounds.iter().enumerate() {
        let end = bounds.get(k + 1).map_or(duration, |b| b.0);
        let (a, b) = features.frames_within(start, end);
        let loudness = if features.is_empty() {
            super::features::DEFAULT_FLOOR_DB
        } else {
            let p: f64 =
                features.loudness_db[a..b].iter().map(|&d| 10f64.powf(d as f64 / 10.0)).sum::<f64>() / (b - a) as f64;
            (10.0 * p.log10()) as f32
        };
        let inside: Vec<f64> = rhythm.beats.iter().copied().filter(|&t| t >= start && t < end).collect();
        let (tempo, tempo_confidence) = section_tempo(&inside, rhythm.tempo_confidence);
        let key = if features.is_empty() {
            SectionKey { key: -1, key_confidence: 0.0, mode: 1, mode_confidence: 0.0 }
        } else {
            key_of(start, end, &features.chroma[a..b])
        };
        out.push(Section {
            start,
            duration: end - start,
            confidence,
            loudness,
            tempo,
            tempo_confidence,
            key: key.key,
            key_confidence: key.key_confidence,
            mode: key.mode,
            mode_confidence: key.mode_confidence,
            time_signature: rhythm.time_signature,
            time_signature_confidence: rhythm.time_signature_confidence,
        });
    }
    Ok(out)
}

/// Tempo from the median inter-beat interval; confidence scaled by regularity.
fn section_tempo(beats: &[f64], track_confidence: f32) -> (f32, f32) {
    if beats.len() < 3 {
        return (0.0, 0.0);
    }
    let mut ibi: Vec<f64> = beats.windows(2).map(|w| w[1] - w[0]).filter(|d| *d > 0.0).collect();
    if ibi.is_empty() {
        return (0.0, 0.0);
    }
    ibi.sort_by(f64::total_cmp);
    let median = ibi[ibi.len() / 2];
    let mean = ibi.iter().sum::<f64>() / ibi.len() as f64;
    let cv = (ibi.iter().map(|d| (d - mean).powi(2)).sum::<f64>() / ibi.len() as f64).sqrt() / mean;
    let tempo = (SECONDS_PER_MINUTE / median) as f32;
    (tempo, (track_confidence * (1.0 - cv as f32).clamp(0.0, 1.0)).clamp(0.0, 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structure::features::{FrameFeatureConfig, frame_features};

    const SR: u32 = 22050;

    fn no_key(_: f64, _: f64, _: &[[f32; N_DIMS]]) -> SectionKey {
        SectionKey { key: 0, key_confidence: 0.5, mode: 1, mode_confidence: 0.5 }
    }

    /// `secs` seconds of a chord (sum of sines) with a little noise, and a 120 BPM pulse.
    fn chord_part(freqs: &[f32], secs: f32, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..(secs * SR as f32) as usize)
            .map(|i| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (state >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                let t = i as f32 / SR as f32;
                let env = 0.6 + 0.4 * (-((t * 2.0).fract() * 8.0)).exp();
                env * freqs.iter().map(|f| (2.0 * std::f32::consts::PI * f * t).sin()).sum::<f32>() / freqs.len() as f32
                    + 0.01 * noise
            })
            .collect()
    }

    #[test]
    fn a_change_of_material_gives_a_boundary_near_the_join() {
        // 20 s of C major, then 20 s of a brighter F# major with different timbre.
        let mut y = chord_part(&[261.6, 329.6, 392.0], 20.0, 1);
        let mut b = chord_part(&[740.0, 932.3, 1108.7, 2217.5, 3322.0], 20.0, 2);
        y.append(&mut b);
        let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
        let beats: Vec<f64> = (0..80).map(|i| i as f64 * 0.5).collect();
        let rhythm = SectionRhythm {
            beats: &beats,
            tempo: 120.0,
            tempo_confidence: 0.9,
            time_signature: 4,
            time_signature_confidence: 0.8,
        };
        let secs = sections(&f, &rhythm, 40.0, &SectionConfig::default(), &no_key).unwrap();
        assert!(
            secs.iter().any(|s| (s.start - 20.0).abs() <= 1.0),
            "{:?}",
            secs.iter().map(|s| s.start).collect::<Vec<_>>()
        );
        check_tiling(&secs, 40.0);
        let first = &secs[0];
        assert!((first.tempo - 120.0).abs() < 0.5 && first.tempo_confidence > 0.8);
        assert!(first.loudness < 0.0 && first.loudness > -20.0);
    }

    fn check_tiling(secs: &[Section], duration: f64) {
        assert_eq!(secs[0].start, 0.0);
        assert_eq!(secs[0].confidence, 1.0);
        for w in secs.windows(2) {
            assert!((w[0].start + w[0].duration - w[1].start).abs() < 1e-9);
            // Only a silent gap may be shorter than the shortest section.
            assert!(w[1].duration >= DEFAULT_MIN_SECTION_SECONDS - 1e-9 || w[1].loudness <= DEFAULT_SILENCE_DB);
        }
        let last = secs.last().unwrap();
        assert!((last.start + last.duration - duration).abs() < 1e-9);
        for s in secs {
            assert!(s.loudness.is_finite() && (0.0..=1.0).contains(&s.confidence));
        }
    }

    #[test]
    fn a_silent_gap_is_a_section_of_its_own() {
        // 20 s of a chord, 3 s of digital silence, 20 s of another chord: a boundary where the
        // first part stops and one where the second starts, not only the latter.
        let a = chord_part(&[261.6, 329.6, 392.0], 20.0, 4);
        let b = chord_part(&[740.0, 932.3, 1108.7, 2217.5], 20.0, 5);
        let gap_s = 3.0;
        let mut y = a.clone();
        y.extend(vec![0.0f32; (gap_s * SR as f32) as usize]);
        y.extend_from_slice(&b);
        let duration = y.len() as f64 / SR as f64;
        let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
        let beats: Vec<f64> = (0..86).map(|i| i as f64 * 0.5).collect();
        let rhythm = SectionRhythm {
            beats: &beats,
            tempo: 120.0,
            tempo_confidence: 0.9,
            time_signature: 4,
            time_signature_confidence: 0.8,
        };
        let secs = sections(&f, &rhythm, duration, &SectionConfig::default(), &no_key).unwrap();
        let starts: Vec<f64> = secs.iter().map(|s| s.start).collect();
        let tolerance = 0.1;
        assert_eq!(secs.len(), 3, "{starts:?}");
        assert!((starts[1] - 20.0).abs() < tolerance && (starts[2] - 23.0).abs() < tolerance, "{starts:?}");
        assert!(secs[1].loudness <= DEFAULT_SILENCE_DB && secs[1].confidence == secs[2].confidence);
        check_tiling(&secs, duration);
        // Leading and trailing silence are fades, not sections; a gap shorter than the minimum
        // is a rest.
        let mut padded = vec![0.0f32; 3 * SR as usize];
        padded.extend_from_slice(&a);
        padded.extend(vec![0.0f32; 3 * SR as usize]);
        let f = frame_features(&padded, SR, &FrameFeatureConfig::default()).unwrap();
        assert!(silent_gaps(&f, &SectionConfig::default()).is_empty());
        let mut rest = a.clone();
        rest.extend(vec![0.0f32; SR as usize / 2]);
        rest.extend_from_slice(&a);
        let duration = rest.len() as f64 / SR as f64;
        let f = frame_features(&rest, SR, &FrameFeatureConfig::default()).unwrap();
        assert!(silent_gaps(&f, &SectionConfig::default()).is_empty());
        let secs = sections(&f, &rhythm, duration, &SectionConfig::default(), &no_key).unwrap();
        assert!(secs.iter().all(|s| s.loudness > DEFAULT_SILENCE_DB));
    }

    #[test]
    fn snapping_to_gaps_moves_near_boundaries_and_keeps_edges_inside_the_track() {
        let gaps = [(10.0, 13.0), (30.0, 40.0)];
        // 12.5 is inside the first gap, 13.8 within 1 s of it, 25.0 near neither; 39.0 is inside
        // the second gap, whose end is the track's end (no section can start there).
        let bounds = vec![(0.0, 1.0), (12.5, 0.4), (13.8, 0.7), (25.0, 0.5), (39.0, 0.9)];
        let out = snap_to_gaps(bounds, &gaps, 40.0, 1.0);
        assert_eq!(out, vec![(0.0, 1.0), (10.0, 0.7), (13.0, 0.7), (25.0, 0.5), (30.0, 0.9)]);
        // Nothing near a gap, or no gaps: unchanged.
        let far = vec![(0.0, 1.0), (20.0, 0.5)];
        assert_eq!(snap_to_gaps(far.clone(), &gaps, 40.0, 1.0), far);
        assert_eq!(snap_to_gaps(far.clone(), &[], 40.0, 1.0), far);
    }

    #[test]
    fn steady_material_is_one_section() {
        let y = chord_part(&[261.6, 329.6, 392.0], 30.0, 3);
        let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
        let rhythm = SectionRhythm {
            beats: &[],
            tempo: 0.0,
            tempo_confidence: 0.0,
            time_signature: 4,
            time_signature_confidence: 0.0,
        };
        let secs = sections(&f, &rhythm, 30.0, &SectionConfig::default(), &no_key).unwrap();
        check_tiling(&secs, 30.0);
        assert!(secs.len() <= 2, "{}", secs.len());
        assert_eq!(secs[0].tempo, 0.0);
    }

    #[test]
    fn silence_short_and_empty_inputs() {
        let rhythm = SectionRhythm {
            beats: &[],
            tempo: 0.0,
            tempo_confidence: 0.0,
            time_signature: 4,
            time_signature_confidence: 0.0,
        };
        for secs_len in [0.05f32, 1.0, 20.0] {
            let y = vec![0.0f32; (secs_len * SR as f32) as usize];
            let f = frame_features(&y, SR, &FrameFeatureConfig::default()).unwrap();
            let secs = sections(&f, &rhythm, secs_len as f64, &SectionConfig::default(), &no_key).unwrap();
            assert_eq!(secs.len(), 1);
            check_tiling(&secs, secs_len as f64);
            assert_eq!(secs[0].loudness, super::super::features::DEFAULT_FLOOR_DB);
        }
        let f = frame_features(&[], SR, &FrameFeatureConfig::default()).unwrap();
        assert!(sections(&f, &rhythm, 0.0, &SectionConfig::default(), &no_key).unwrap().is_empty());
    }

    #[test]
    fn invalid_config_is_rejected() {
        let f = frame_features(&[0.0; 1000], SR, &FrameFeatureConfig::default()).unwrap();
        for cfg in [
            SectionConfig { kernel_seconds: 0.0, ..Default::default() },
            SectionConfig { min_beats: 1, ..Default::default() },
            SectionConfig { threshold: f32::NAN, ..Default::default() },
            SectionConfig { silence_db: f32::INFINITY, ..Default::default() },
            SectionConfig { min_silence_seconds: 0.0, ..Default::default() },
            SectionConfig { gap_snap_seconds: -1.0, ..Default::default() },
        ] {
            assert!(matches!(section_boundaries(&f, &[], 1.0, &cfg), Err(AnalyzerError::InvalidParameter { .. })));
        }
    }
}
