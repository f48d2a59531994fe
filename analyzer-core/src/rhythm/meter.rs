//! Meter: time signature (3–7 beats per bar), downbeats/bars and tatums.
//!
//! The analysis is beat-synchronous. For every beat interval `i` the log-filtered spectrogram is
//! averaged into a vector `v_i`; for every beat the accent `a_i` is the onset envelope's maximum
//! within `accent_window_s` of the beat.
//!
//! - **Time signature.** Bars repeat: the self-similarity of the beat vectors at lag `L`,
//!   `sim(L) = mean_i cos(v_i, v_{i+L})`, peaks at the bar length and its multiples (Foote &
//!   Uchihashi 2001; Gainza 2009). The evidence for `m` beats per bar is
//!   `e(m) = sim(m) − mean_{L∈[2, 2·max]} sim(L)` plus `ln prior(m) · prior_weight`; the time
//!   signature is the best `m` and its confidence the softmax probability of `e / temperature`.
//! - **Downbeats.** Chords and bass lines change at bar starts (Goto 2001; Klapuri et al. 2006):
//!   the novelty `h_i = 1 − cos(v_{i−1}, v_i)` plus the (standardised) accent is averaged over the
//!   beats of each phase `p mod m`; the best phase gives the downbeats. Each bar's confidence is
//!   the time-signature confidence times the mean beat confidence in the bar.
//! - **Tatums.** Each beat interval is split into `s` equal parts, with `s` the candidate whose
//!   in-between positions carry the most onset strength (duple vs triple subdivision, as the
//!   "tatum" of Bilmes 1993 / Seppänen 2001); tatum confidence is the onset strength at the
//!   tatum relative to that at the beats, clipped, times the tempo confidence.
//!
//! With fewer than `min_beats` beats the time signature is 4 with confidence 0 and there are no
//! bars.
//!
//! # References
//! - J. Foote, S. Uchihashi, "The beat spectrum: a new approach to rhythm analysis", ICME 2001.
//! - M. Gainza, "Automatic musical meter detection", ICASSP 2009.
//! - M. Goto, "An audio-based real-time beat tracking system for music with or without
//!   drum-sounds", J. New Music Research 30(2), 2001.
//! - A. Klapuri, A. Eronen, J. Astola, "Analysis of the meter of acoustic musical signals", IEEE
//!   TASLP 14(1), 2006.
//! - J. Bilmes, "Timing is of the essence", MSc thesis, MIT, 1993 (the tatum).
//! - J. Seppänen, "Tatum grid analysis of musical signals", WASPAA 2001.

use crate::error::{AnalyzerError, Result, check};
use crate::simd;
use crate::spectral::FrameRows;
#[cfg(test)]
use crate::spectral::Spectrogram;

/// Smallest time signature reported.
pub const MIN_BEATS_PER_BAR: u8 = 3;
/// Largest time signature reported.
pub const MAX_BEATS_PER_BAR: u8 = 7;
/// Time signature reported when there is no evidence (with confidence 0).
pub const DEFAULT_TIME_SIGNATURE: u8 = 4;
/// Default prior over 3, 4, 5, 6, 7 beats per bar (common-practice frequencies; 4 dominates).
pub const DEFAULT_METER_PRIOR: [f32; 5] = [0.15, 0.7, 0.03, 0.1, 0.02];
/// Default weight of the log prior in the meter evidence.
pub const DEFAULT_PRIOR_WEIGHT: f32 = 0.02;
/// Default softmax temperature of the time-signature confidence.
pub const DEFAULT_TEMPERATURE: f32 = 0.02;
/// Default minimum number of beats for a meter analysis.
pub const DEFAULT_MIN_BEATS: usize = 16;
/// Default half-width of the accent window around each beat, in seconds.
pub const DEFAULT_ACCENT_WINDOW_S: f32 = 0.05;
/// Default weight of the beat accent relative to the harmonic novelty for downbeats.
pub const DEFAULT_ACCENT_WEIGHT: f32 = 0.5;
/// Default tatum subdivision candidates (duple, triple).
pub const DEFAULT_SUBDIVISIONS: [u8; 2] = [2, 3];
/// Default extra in-between strength a triple subdivision needs over a duple one (ratio).
pub const DEFAULT_TRIPLE_MARGIN: f32 = 1.2;

/// Parameters of the meter analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct MeterConfig {
    /// Prior over 3, 4, 5, 6, 7 beats per bar (positive numbers, any scale).
    pub prior: [f32; 5],
    /// Weight of `ln prior` in the evidence.
    pub prior_weight: f32,
    /// Softmax temperature of the confidence.
    pub temperature: f32,
    /// Fewer beats than this give time signature 4 with confidence 0 and no bars.
    pub min_beats: usize,
    /// Half-width of the accent window around each beat, in seconds.
    pub accent_window_s: f32,
    /// Weight of the accent relative to the harmonic novelty for the downbeat phase.
    pub accent_weight: f32,
    /// Tatum subdivision candidates (each ≥ 1), in order of preference.
    pub subdivisions: Vec<u8>,
    /// A later candidate must beat an earlier one's in-between strength by this ratio (≥ 1).
    pub subdivision_margin: f32,
}

impl Default for MeterConfig {
    fn default() -> Self {
        Self {
            prior: DEFAULT_METER_PRIOR,
            prior_weight: DEFAULT_PRIOR_WEIGHT,
            temperature: DEFAULT_TEMPERATURE,
            min_beats: DEFAULT_MIN_BEATS,
            accent_window_s: DEFAULT_ACCENT_WINDOW_S,
            accent_weight: DEFAULT_ACCENT_WEIGHT,
            subdivisions: DEFAULT_SUBDIVISIONS.to_vec(),
            subdivision_margin: DEFAULT_TRIPLE_MARGIN,
        }
    }
}

impl MeterConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        for &p in &self.prior {
            check::positive_f32("prior", p)?;
        }
        for (name, v) in [
            ("prior_weight", self.prior_weight),
            ("accent_window_s", self.accent_window_s),
            ("accent_weight", self.accent_weight),
        ] {
            check::non_negative(name, v)?;
        }
        check::positive_f32("temperature", self.temperature)?;
        check::at_least("min_beats", self.min_beats, 2 * MAX_BEATS_PER_BAR as usize)?;
        if self.subdivisions.is_empty() || self.subdivisions.contains(&0) {
            return Err(AnalyzerError::invalid("subdivisions", "needs at least one candidate, each >= 1"));
        }
        if !(self.subdivision_margin.is_finite() && self.subdivision_margin >= 1.0) {
            return Err(AnalyzerError::invalid(
                "subdivision_margin",
                format!("must be >= 1, got {}", self.subdivision_margin),
            ));
        }
        Ok(())
    }
}

/// The result of the meter analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct Meter {
    /// Beats per bar, 3–7.
    pub time_signature: u8,
    /// Confidence in 0–1.
    pub time_signature_confidence: f32,
    /// Indices into the beat list of the downbeats (bar starts).
    pub downbeats: Vec<usize>,
    /// Confidence per bar (same length as `downbeats`).
    pub bar_confidence: Vec<f32>,
    /// Tatum times in seconds (including the beats).
    pub tatum_times: Vec<f64>,
    /// Confidence per tatum.
    pub tatum_confidence: Vec<f32>,
}

/// Cosine similarity, 0 for a zero vector.
fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let den = (simd::dot(a, a) * simd::dot(b, b)).sqrt();
    if den > 0.0 { simd::dot(a, b) / den } else { 0.0 }
}

/// Mean of the spectrogram rows in each beat interval (the last beat runs one period on).
fn beat_vectors<S: FrameRows + ?Sized>(spec: &S, beat_frames: &[usize]) -> Vec<Vec<f32>> {
    let n = spec.n_frames();
    let mut row = vec![0.0f32; spec.n_bins()];
    beat_frames
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let end = beat_frames.get(i + 1).copied().unwrap_or_else(|| {
                let prev = if i > 0 { beat_frames[i - 1] } else { b };
                b + (b - prev).max(1)
            });
            let (lo, hi) = (b.min(n), end.min(n));
            let mut v = vec![0.0f32; spec.n_bins()];
            for t in lo..hi {
                spec.frame_into(t, &mut row);
                simd::axpy(&mut v, 1.0, &row);
            }
            if hi > lo {
                let inv = 1.0 / (hi - lo) as f32;
                v.iter_mut().for_each(|x| *x *= inv);
            }
            v
        })
        .collect()
}

/// Standardises `x` (zero mean, unit variance; zeros when constant).
fn standardise(x: &[f32]) -> Vec<f32> {
    let n = x.len().max(1) as f32;
    let mean = x.iter().sum::<f32>() / n;
    let std = (x.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt();
    if std > 0.0 { x.iter().map(|v| (v - mean) / std).collect() } else { vec![0.0; x.len()] }
}

/// Onset envelope maximum within `half` frames of frame `f`.
fn accent_at(env: &[f32], f: f32, half: usize) -> f32 {
    if env.is_empty() {
        return 0.0;
    }
    let c = (f.round().max(0.0) as usize).min(env.len() - 1);
    let lo = c.saturating_sub(half);
    let hi = (c + half + 1).min(env.len());
    simd::max(&env[lo..hi]).max(0.0)
}

/// Analyses the meter of tracked beats. `beat_frames` index frames of `onset_env` and `spec`
/// (both at `frame_rate`); `beat_confidence` has one value per beat; `tempo_confidence` scales
/// the tatum confidences.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config or frame rate, or when
/// `beat_confidence` and `beat_frames` differ in length.
pub fn analyze_meter<S: FrameRows + ?Sized>(
    onset_env: &[f32],
    spec: &S,
    frame_rate: f32,
    beat_frames: &[usize],
    beat_confidence: &[f32],
    tempo_confidence: f32,
    config: &MeterConfig,
) -> Result<Meter> {
    config.validate()?;
    check::positive_f32("frame_rate", frame_rate)?;
    if beat_confidence.len() != beat_frames.len() {
        return Err(AnalyzerError::invalid("beat_confidence", "must have one value per beat"));
    }
    let env: Vec<f32> = onset_env.iter().map(|&v| if v.is_finite() { v.max(0.0) } else { 0.0 }).collect();
    let tc = if tempo_confidence.is_finite() { tempo_confidence.clamp(0.0, 1.0) } else { 0.0 };
    let (tatum_times, tatum_confidence) = tatums(&env, frame_rate, beat_frames, tc, config);
    let mut meter = Meter {
        time_signature: DEFAULT_TIME_SIGNATURE,
        time_signature_confidence: 0.0,
        downbeats: Vec::new(),
        bar_confidence: Vec::new(),
        tatum_times,
        tatum_confidence,
    };
    let n = beat_frames.len();
    if n < config.min_beats || spec.n_frames() == 0 {
        return Ok(meter);
    }

    let vectors = beat_vectors(spec, beat_frames);
    let max_lag = 2 * MAX_BEATS_PER_BAR as usize;
    let sim: Vec<f32> = (0..=max_lag)
        .map(|lag| {
            if lag == 0 || lag >= n {
                return 0.0;
            }
            (0..n - lag).map(|i| cosine(&vectors[i], &vectors[i + lag])).sum::<f32>() / (n - lag) as f32
        })
        .collect();
    let lag_mean = sim[2..].iter().sum::<f32>() / (max_lag - 1) as f32;
    let evidence: Vec<f32> = (MIN_BEATS_PER_BAR..=MAX_BEATS_PER_BAR)
        .map(|m| {
            let idx = (m - MIN_BEATS_PER_BAR) as usize;
            sim[m as usize] - lag_mean + config.prior_weight * config.prior[idx].ln()
        })
        .collect();
    let best = (0..evidence.len()).max_by(|&a, &b| evidence[a].total_cmp(&evidence[b])).unwrap_or(1);
    let emax = evidence[best];
    let z: f32 = evidence.iter().map(|&e| ((e - emax) / config.temperature).exp()).sum();
    let m = MIN_BEATS_PER_BAR as usize + best;
    let ts_conf = if z.is_finite() && z > 0.0 { 1.0 / z } else { 0.0 };

    // Downbeat phase: harmonic novelty plus accent, averaged per phase.
    let half = (config.accent_window_s * frame_rate).round() as usize;
    let novelty: Vec<f32> =
        (0..n).map(|i| if i == 0 { 0.0 } else { 1.0 - cosine(&vectors[i - 1], &vectors[i]) }).collect();
    let accents: Vec<f32> = beat_frames.iter().map(|&f| accent_at(&env, f as f32, half)).collect();
    let (zn, za) = (standardise(&novelty), standardise(&accents));
    let feature: Vec<f32> = zn.iter().zip(&za).map(|(a, b)| a + config.accent_weight * b).collect();
    let phase_mean = |p: usize| {
        let v: Vec<f32> = feature.iter().skip(p).step_by(m).copied().collect();
        v.iter().sum::<f32>() / v.len().max(1) as f32
    };
    let phase = (0..m).max_by(|&a, &b| phase_mean(a).total_cmp(&phase_mean(b))).unwrap_or(0);
    let downbeats: Vec<usize> = (phase..n).step_by(m).collect();
    let bar_confidence = downbeats
        .iter()
        .map(|&d| {
            let end = (d + m).min(n);
            let c = beat_confidence[d..end].iter().sum::<f32>() / (end - d) as f32;
            (c * ts_conf).clamp(0.0, 1.0)
        })
        .collect();
    meter.time_signature = m as u8;
    meter.time_signature_confidence = ts_conf.clamp(0.0, 1.0);
    meter.downbeats = downbeats;
    meter.bar_confidence = bar_confidence;
    Ok(meter)
}

/// Tatum grid: each beat interval split into the best subdivision (see the module docs).
fn tatums(env: &[f32], frame_rate: f32, beats: &[usize], tc: f32, config: &MeterConfig) -> (Vec<f64>, Vec<f32>) {
    if beats.len() < 2 {
        let times = beats.iter().map(|&b| b as f64 / frame_rate as f64).collect();
        return (times, vec![tc; beats.len()]);
    }
    let half = (config.accent_window_s * frame_rate / 2.0).round() as usize;
    let in_between = |s: u8| -> f32 {
        let mut acc = 0.0f32;
        let mut count = 0usize;
        for w in beats.windows(2) {
            let ibi = (w[1] - w[0]) as f32;
            for j in 1..s {
                acc += accent_at(env, w[0] as f32 + ibi * j as f32 / s as f32, half);
                count += 1;
            }
        }
        if count > 0 { acc / count as f32 } else { 0.0 }
    };
    let mut chosen = config.subdivisions[0];
    let mut chosen_strength = in_between(chosen);
    for &s in &config.subdivisions[1..] {
        let v = in_between(s);
        if v > config.subdivision_margin * chosen_strength {
            chosen = s;
            chosen_strength = v;
        }
    }
    let beat_strength = beats.iter().map(|&b| accent_at(env, b as f32, half)).sum::<f32>() / beats.len() as f32;
    let reference = beat_strength.max(f32::MIN_POSITIVE);
    let mut times = Vec::with_capacity(beats.len() * chosen as usize);
    let mut conf = Vec::with_capacity(beats.len() * chosen as usize);
    for (i, &b) in beats.iter().enumerate() {
        let next = beats.get(i + 1).copied();
        let parts = if next.is_some() { chosen } else { 1 };
        let ibi = next.map_or(0.0, |nb| (nb - b) as f32);
        for j in 0..parts {
            let f = b as f32 + ibi * j as f32 / chosen as f32;
            times.push(f as f64 / frame_rate as f64);
            conf.push((accent_at(env, f, half) / reference).clamp(0.0, 1.0) * tc);
        }
    }
    (times, conf)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f32 = 100.0;

    /// A synthetic bar-structured input: `m` beats per bar, 50 frames per beat, the downbeat
    /// accented and the spectrum repeating every bar.
    fn synthetic(m: usize, bars: usize) -> (Vec<f32>, Spectrogram, Vec<usize>) {
        let per_beat = 50;
        let n = bars * m * per_beat + per_beat;
        let mut env = vec![0.0f32; n];
        let n_bands = 8;
        let mut data = vec![0.0f32; n * n_bands];
        let mut beats = Vec::new();
        for bar in 0..bars {
            for b in 0..m {
                let f = (bar * m + b) * per_beat;
                beats.push(f);
                env[f] = if b == 0 { 2.0 } else { 1.0 };
                env[f + per_beat / 2] = 0.3;
                for t in f..f + per_beat {
                    // Each beat of the bar has its own spectral shape; the bar repeats.
                    data[t * n_bands + b % n_bands] = 1.0;
                }
            }
        }
        (env, Spectrogram::new(data, n, n_bands), beats)
    }

    #[test]
    fn finds_meters_three_to_seven_and_the_downbeats() {
        for m in 3..=7usize {
            let (env, spec, beats) = synthetic(m, 12);
            let conf = vec![1.0; beats.len()];
            let meter = analyze_meter(&env, &spec, FPS, &beats, &conf, 1.0, &MeterConfig::default()).unwrap();
            assert_eq!(meter.time_signature as usize, m, "{meter:?}");
            assert!(meter.time_signature_confidence > 0.5, "{m}: {}", meter.time_signature_confidence);
            assert_eq!(meter.downbeats[0], 0, "{m}: {:?}", &meter.downbeats[..3]);
            assert!(meter.downbeats.windows(2).all(|w| w[1] - w[0] == m));
            assert_eq!(meter.bar_confidence.len(), meter.downbeats.len());
        }
    }

    #[test]
    fn tatums_split_beats_in_two_or_three() {
        let (env, spec, beats) = synthetic(4, 8);
        let conf = vec![1.0; beats.len()];
        let meter = analyze_meter(&env, &spec, FPS, &beats, &conf, 1.0, &MeterConfig::default()).unwrap();
        assert_eq!(meter.tatum_times.len(), 2 * beats.len() - 1);
        assert!((meter.tatum_times[1] - 0.25).abs() < 1e-6);
        // Triplets: strength at thirds of the beat.
        let mut env3 = vec![0.0f32; env.len()];
        for &b in &beats {
            for j in 0..3 {
                let f = b + (50 * j) / 3;
                if f < env3.len() {
                    env3[f] = 1.0;
                }
            }
        }
        let meter = analyze_meter(&env3, &spec, FPS, &beats, &conf, 1.0, &MeterConfig::default()).unwrap();
        assert_eq!(meter.tatum_times.len(), 3 * beats.len() - 2);
        assert!(meter.tatum_confidence.iter().all(|c| (0.0..=1.0).contains(c)));
    }

    #[test]
    fn too_few_beats_silence_and_constant() {
        let spec = Spectrogram::new(vec![0.0; 800], 100, 8);
        let meter =
            analyze_meter(&[0.0; 100], &spec, FPS, &[10, 60], &[1.0, 1.0], 1.0, &MeterConfig::default()).unwrap();
        assert_eq!((meter.time_signature, meter.time_signature_confidence), (DEFAULT_TIME_SIGNATURE, 0.0));
        assert!(meter.downbeats.is_empty());
        let empty = analyze_meter(&[], &Spectrogram::default(), FPS, &[], &[], 0.0, &MeterConfig::default()).unwrap();
        assert!(empty.tatum_times.is_empty() && empty.downbeats.is_empty());
        // Silence and a constant spectrum carry no meter information: the prior wins.
        let beats: Vec<usize> = (0..40).map(|i| i * 20).collect();
        for fill in [0.0f32, 1.0] {
            let spec = Spectrogram::new(vec![fill; 820 * 8], 820, 8);
            let m =
                analyze_meter(&vec![fill; 820], &spec, FPS, &beats, &[0.5; 40], 0.5, &MeterConfig::default()).unwrap();
            assert_eq!(m.time_signature, DEFAULT_TIME_SIGNATURE);
            assert!(m.time_signature_confidence < 1.0);
            assert!(m.tatum_times.iter().all(|t| t.is_finite()));
        }
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let spec = Spectrogram::default();
        for cfg in [
            MeterConfig { temperature: 0.0, ..MeterConfig::default() },
            MeterConfig { prior: [1.0, 0.0, 1.0, 1.0, 1.0], ..MeterConfig::default() },
            MeterConfig { min_beats: 3, ..MeterConfig::default() },
            MeterConfig { subdivisions: vec![], ..MeterConfig::default() },
            MeterConfig { subdivisions: vec![0], ..MeterConfig::default() },
            MeterConfig { subdivision_margin: 0.5, ..MeterConfig::default() },
            MeterConfig { accent_weight: f32::NAN, ..MeterConfig::default() },
        ] {
            let e = analyze_meter(&[], &spec, FPS, &[], &[], 1.0, &cfg).unwrap_err();
            assert_eq!(e.kind(), crate::ErrorKind::InvalidParameter);
        }
        assert!(analyze_meter(&[], &spec, FPS, &[1], &[], 1.0, &MeterConfig::default()).is_err());
    }
}
