//! Beat tracking by dynamic programming (Ellis 2007).
//!
//! The onset envelope, divided by its standard deviation, is smoothed with a Gaussian of
//! standard deviation `τ / smoothing_divisor` frames (`τ` the beat period) to give the local
//! score `O(t)`. The best beat sequence maximises `Σ O(t_i) − α·Σ ln((t_i − t_{i−1}) / τ)²`;
//! the cumulative score is
//!
//! `C(t) = O(t) + max_{τ/2 ≤ d ≤ 2τ} [C(t − d) − α·ln(d / τ)²]`,
//!
//! and the sequence is read back from the last local maximum of `C` above
//! `last_beat_ratio · median(C at its local maxima)`. Beats before the music starts and after it
//! ends (where the local score stays below `trim_ratio` times the RMS of the local score at the
//! beats) are dropped, as in librosa.
//!
//! Each beat's **confidence** is its local score divided by the `reference_quantile` quantile of
//! the local score over the beats, clipped to 0–1, times the tempo confidence passed in.
//!
//! # References
//! - D. P. W. Ellis, "Beat tracking by dynamic programming", J. New Music Research 36(1), 2007.
//! - B. McFee et al., "librosa", SciPy 2015 (`beat.beat_track`: trimming, last-beat choice).

use crate::error::{AnalyzerError, Result, check};

/// Default transition tightness `α` (Ellis 2007, librosa `tightness`).
pub const DEFAULT_TIGHTNESS: f32 = 100.0;
/// Default Gaussian smoothing: standard deviation `τ / 32` frames (Ellis 2007).
pub const DEFAULT_SMOOTHING_DIVISOR: f32 = 32.0;
/// Default threshold of the last-beat choice, relative to the median cumulative-score peak.
pub const DEFAULT_LAST_BEAT_RATIO: f32 = 0.5;
/// Default trimming threshold relative to the RMS of the local score at the beats (librosa).
pub const DEFAULT_TRIM_RATIO: f32 = 0.5;
/// Default quantile of beat strengths that counts as full confidence.
pub const DEFAULT_REFERENCE_QUANTILE: f32 = 0.75;
/// Before the first beat, local scores below this fraction of the maximum start no chain.
const FIRST_BEAT_FRACTION: f32 = 0.01;

/// Parameters of the dynamic-programming beat tracker.
#[derive(Debug, Clone, PartialEq)]
pub struct BeatConfig {
    /// Transition tightness `α > 0`: larger values keep the beat period closer to `τ`.
    pub tightness: f32,
    /// Smoothing of the local score: Gaussian standard deviation `τ / smoothing_divisor`.
    pub smoothing_divisor: f32,
    /// Last-beat threshold relative to the median local maximum of the cumulative score.
    pub last_beat_ratio: f32,
    /// Leading/trailing beats weaker than this times the RMS beat strength are dropped
    /// (0 keeps every beat).
    pub trim_ratio: f32,
    /// Quantile (0–1] of the beats' local scores that maps to confidence 1.
    pub reference_quantile: f32,
}

impl Default for BeatConfig {
    fn default() -> Self {
        Self {
            tightness: DEFAULT_TIGHTNESS,
            smoothing_divisor: DEFAULT_SMOOTHING_DIVISOR,
            last_beat_ratio: DEFAULT_LAST_BEAT_RATIO,
            trim_ratio: DEFAULT_TRIM_RATIO,
            reference_quantile: DEFAULT_REFERENCE_QUANTILE,
        }
    }
}

impl BeatConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::positive_f32("tightness", self.tightness)?;
        check::positive_f32("smoothing_divisor", self.smoothing_divisor)?;
        for (name, v) in [("last_beat_ratio", self.last_beat_ratio), ("trim_ratio", self.trim_ratio)] {
            check::non_negative(name, v)?;
        }
        let q = self.reference_quantile;
        if !(q > 0.0 && q <= 1.0) {
            return Err(AnalyzerError::invalid("reference_quantile", format!("must be in (0, 1], got {q}")));
        }
        Ok(())
    }
}

/// Tracked beats.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Beats {
    /// Beat positions in envelope frames, increasing.
    pub frames: Vec<usize>,
    /// Beat times in seconds.
    pub times: Vec<f64>,
    /// Per-beat confidence in 0–1.
    pub confidence: Vec<f32>,
}

/// The local score: envelope / std, smoothed by a Gaussian of std `period / divisor`.
fn local_score(env: &[f32], period: f32, divisor: f32) -> Vec<f32> {
    let n = env.len();
    let clean: Vec<f32> = env.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect();
    let mean = clean.iter().map(|&v| v as f64).sum::<f64>() / n.max(1) as f64;
    let var = clean.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / n.saturating_sub(1).max(1) as f64;
    let std = var.sqrt();
    if std.is_nan() || std <= f64::from(f32::MIN_POSITIVE) {
        return vec![0.0; n];
    }
    let half = period.round().max(1.0) as usize;
    let sigma = period / divisor;
    let kernel: Vec<f32> = (0..=2 * half).map(|i| (-0.5 * ((i as f32 - half as f32) / sigma).powi(2)).exp()).collect();
    let scaled: Vec<f32> = clean.iter().map(|&v| (v as f64 / std) as f32).collect();
    (0..n)
        .map(|t| {
            let lo = t.saturating_sub(half);
            let hi = (t + half + 1).min(n);
            let k0 = lo + half - t;
            crate::simd::dot(&scaled[lo..hi], &kernel[k0..k0 + (hi - lo)])
        })
        .collect()
}

/// Tracks beats in an onset envelope at `frame_rate` Hz given the tempo `bpm` (librosa's
/// `beat.beat_track` with a known tempo). `tempo_confidence` (0–1) scales the per-beat
/// confidences. A tempo ≤ 0 or an envelope without variation gives no beats.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config, frame rate or non-finite tempo.
pub fn track_beats(
    onset_env: &[f32],
    frame_rate: f32,
    bpm: f32,
    tempo_confidence: f32,
    config: &BeatConfig,
) -> Result<Beats> {
    config.validate()?;
    check::positive_f32("frame_rate", frame_rate)?;
    if !bpm.is_finite() {
        return Err(AnalyzerError::invalid("bpm", format!("must be finite, got {bpm}")));
    }
    let n = onset_env.len();
    if bpm <= 0.0 || n == 0 {
        return Ok(Beats::default());
    }
    let period = 60.0 * frame_rate / bpm;
    if period < 1.0 || period * 2.0 > n as f32 {
        return Ok(Beats::default());
    }
    let local = local_score(onset_env, period, config.smoothing_divisor);
    let max_local = local.iter().copied().fold(0.0f32, f32::max);
    if max_local <= 0.0 {
        return Ok(Beats::default());
    }

    // Transition penalties for offsets d in [ceil(τ/2), floor(2τ)].
    let d_lo = ((period / 2.0).ceil() as usize).max(1);
    let d_hi = ((period * 2.0).floor() as usize).max(d_lo);
    let penalty: Vec<f32> = (d_lo..=d_hi).map(|d| -config.tightness * ((d as f32 / period).ln()).powi(2)).collect();

    let mut cum = vec![0.0f32; n];
    let mut back: Vec<Option<usize>> = vec![None; n];
    let mut started = false;
    let first_threshold = FIRST_BEAT_FRACTION * max_local;
    for t in 0..n {
        let mut best: Option<(usize, f32)> = None;
        if t >= d_lo {
            for (j, &pen) in penalty.iter().enumerate() {
                let d = d_lo + j;
                if d > t {
                    break;
                }
                let v = cum[t - d] + pen;
                if best.is_none_or(|(_, b)| v > b) {
                    best = Some((t - d, v));
                }
            }
        }
        match best {
            Some((p, v)) if started => {
                cum[t] = local[t] + v;
                back[t] = Some(p);
            }
            _ => cum[t] = local[t],
        }
        if !started && local[t] >= first_threshold {
            started = true;
        }
    }

    // Last beat: the last local maximum of C above a fraction of the median local maximum.
    let maxima: Vec<usize> =
        (1..n.saturating_sub(1)).filter(|&t| cum[t] > cum[t - 1] && cum[t] >= cum[t + 1]).collect();
    if maxima.is_empty() {
        return Ok(Beats::default());
    }
    let mut vals: Vec<f32> = maxima.iter().map(|&t| cum[t]).collect();
    vals.sort_by(f32::total_cmp);
    let median = vals[vals.len() / 2];
    let last = maxima.iter().rev().copied().find(|&t| cum[t] >= config.last_beat_ratio * median).unwrap_or(maxima[0]);

    let mut frames = vec![last];
    let mut cur = last;
    while let Some(p) = back[cur] {
        frames.push(p);
        cur = p;
    }
    frames.reverse();

    // Trim weak leading and trailing beats.
    let strengths: Vec<f32> = frames.iter().map(|&f| local[f]).collect();
    let rms = (strengths.iter().map(|&v| v * v).sum::<f32>() / strengths.len() as f32).sqrt();
    let threshold = config.trim_ratio * rms;
    let first = strengths.iter().position(|&v| v >= threshold).unwrap_or(0);
    let last_kept = strengths.iter().rposition(|&v| v >= threshold).unwrap_or(strengths.len() - 1);
    let frames: Vec<usize> = frames[first..=last_kept.max(first)].to_vec();

    let mut sorted: Vec<f32> = frames.iter().map(|&f| local[f]).collect();
    sorted.sort_by(f32::total_cmp);
    let q_idx = ((sorted.len() - 1) as f32 * config.reference_quantile).round() as usize;
    let reference = sorted[q_idx.min(sorted.len() - 1)].max(f32::MIN_POSITIVE);
    let tc = if tempo_confidence.is_finite() { tempo_confidence.clamp(0.0, 1.0) } else { 0.0 };
    let confidence = frames.iter().map(|&f| (local[f] / reference).clamp(0.0, 1.0) * tc).collect();
    let times = frames.iter().map(|&f| f as f64 / frame_rate as f64).collect();
    Ok(Beats { frames, times, confidence })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f32 = 22050.0 / 256.0;

    fn pulses(bpm: f32, seconds: f32, start_s: f32, end_s: f32) -> Vec<f32> {
        let n = (seconds * FPS) as usize;
        let period = 60.0 * FPS / bpm;
        let mut env = vec![0.0f32; n];
        let mut t = start_s * FPS;
        while t < end_s * FPS && (t as usize) < n {
            env[t.round() as usize] = 1.0;
            t += period;
        }
        env
    }

    #[test]
    fn follows_pulse_trains_across_tempi() {
        for bpm in [40.0f32, 60.0, 97.0, 120.0, 160.0, 200.0, 240.0] {
            let env = pulses(bpm, 30.0, 0.3, 30.0);
            let beats = track_beats(&env, FPS, bpm, 1.0, &BeatConfig::default()).unwrap();
            let expected = env.iter().filter(|&&v| v > 0.0).count();
            assert!(beats.frames.len() + 1 >= expected, "{bpm}: {} beats for {expected} pulses", beats.frames.len());
            for &f in &beats.frames {
                let near = (f.saturating_sub(1)..=f + 1).any(|i| env.get(i).is_some_and(|&v| v > 0.0));
                assert!(near, "{bpm}: beat at frame {f} not on a pulse");
            }
            assert!(beats.confidence.iter().all(|c| (0.0..=1.0).contains(c)));
        }
    }

    #[test]
    fn silence_at_both_ends_is_trimmed() {
        let env = pulses(120.0, 40.0, 10.0, 30.0);
        let beats = track_beats(&env, FPS, 120.0, 1.0, &BeatConfig::default()).unwrap();
        let (first, last) = (beats.times[0], *beats.times.last().unwrap());
        assert!((first - 10.0).abs() < 0.05, "first beat {first}");
        assert!((last - 29.5).abs() < 0.55, "last beat {last}");
    }

    #[test]
    fn empty_silence_constant_impulse_and_no_tempo() {
        let cfg = BeatConfig::default();
        assert!(track_beats(&[], FPS, 120.0, 1.0, &cfg).unwrap().frames.is_empty());
        assert!(track_beats(&[0.0; 3000], FPS, 120.0, 1.0, &cfg).unwrap().frames.is_empty());
        assert!(track_beats(&[0.5; 3000], FPS, 120.0, 1.0, &cfg).unwrap().frames.is_empty());
        assert!(track_beats(&[f32::NAN; 3000], FPS, 120.0, 1.0, &cfg).unwrap().frames.is_empty());
        assert!(track_beats(&pulses(120.0, 30.0, 0.0, 30.0), FPS, 0.0, 1.0, &cfg).unwrap().frames.is_empty());
        let mut imp = vec![0.0f32; 3000];
        imp[1500] = 1.0;
        let b = track_beats(&imp, FPS, 120.0, 1.0, &cfg).unwrap();
        assert_eq!(b.frames, vec![1500], "an impulse is one beat after trimming");
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let env = [0.0f32; 100];
        for cfg in [
            BeatConfig { tightness: 0.0, ..BeatConfig::default() },
            BeatConfig { smoothing_divisor: -1.0, ..BeatConfig::default() },
            BeatConfig { trim_ratio: f32::NAN, ..BeatConfig::default() },
            BeatConfig { reference_quantile: 0.0, ..BeatConfig::default() },
        ] {
            assert_eq!(
                track_beats(&env, FPS, 120.0, 1.0, &cfg).unwrap_err().kind(),
                crate::ErrorKind::InvalidParameter
            );
        }
        assert!(track_beats(&env, 0.0, 120.0, 1.0, &BeatConfig::default()).is_err());
        assert!(track_beats(&env, FPS, f32::NAN, 1.0, &BeatConfig::default()).is_err());
    }
}
