//! Global tempo from the periodicity of an onset strength envelope.
//!
//! The envelope `x` (mean removed) gives the normalised autocorrelation
//! `r(τ) = [Σ_t x[t]·x[t+τ] / (N − τ)] / [Σ_t x[t]² / N]`. For every candidate tempo `b` on a
//! log-spaced grid over `[min_bpm, max_bpm]`, with period `τ_b = 60·fps / b` frames, a harmonic
//! comb collects the evidence of the period and its multiples (the bar-level repetitions of a
//! true beat period), as in the comb-filter tempo estimators of Scheirer (1998) and Böck et al.
//! (2015) and the "enhanced" autocorrelation of Percival & Tzanetakis (2014):
//!
//! `S(b) = Σ_{k=1}^{K} k^{−d} · r(k·τ_b) / Σ_k k^{−d}` (linear interpolation at fractional lags).
//!
//! The metrical level is chosen by maximising `max(S(b), 0) · p(b)`, where `p` is a prior over
//! tempo; the default is the log-Gaussian of Ellis (2007) and librosa (centre and width in
//! [`TempoPrior::LogGaussian`]). The peak is refined by a parabola in log-tempo.
//!
//! **Fractional periods.** That maximum is searched on the comb of `r` smoothed over lags by a
//! Gaussian of σ = [`TempoConfig::lag_smoothing_frames`] (2 frames). Onsets sit on whole frames,
//! so a pulse whose period falls between two lags splits its autocorrelation peak between them,
//! and linear interpolation reads a half-way peak at half its height; smoothed, any split peak
//! is read at 94 % or more. Unsmoothed, a steady four-on-the-floor at 125 BPM (a period of 41.3
//! frames) lost to the 3:2 period of 1.5 beats (62.0 frames, which the off-beats support too)
//! and came out at 83.3. The returned strength, the clarity and the windows below read the comb
//! of `r` itself.
//!
//! **The tempo that covers most of the track** ([`GlobalTempo::LocalMedian`], the default): the
//! autocorrelation of the whole envelope favours the busiest stretch of a track whose tempo
//! moves (a song at 60 BPM for 55 s and 63 BPM for 35 s peaks at 63). So each overlapping
//! window of [`TempoConfig::local_window_s`] also finds its own peak of `S_window(b)·p(b)` within
//! [`TempoConfig::local_search_octaves`] of the global one (refined by a parabola), and the
//! tempo is the median of those local peaks: the tempo of most of the track at the global
//! peak's metrical level (as TempoCNN's global tempo pools its windows' local estimates,
//! Schreiber & Müller 2018). The rhythm analysis then reconsiders the metrical level against
//! its half and double with a fitted model ([`crate::rhythm::level`]).
//!
//! **Confidence** is the product of two numbers in 0–1: the *clarity* of the periodicity,
//! `S(b*) / clarity_full` clipped, and the *stability* of the tempo, the mean over overlapping
//! windows of `w(b*) / max_b w(b)` with `w = max(S_window, 0)·p` (1 for a steady tempo, lower
//! for rubato or tempo changes, and lower when windows prefer another metrical level), times
//! `sqrt(length / full_evidence_s)` when the envelope is shorter than
//! [`TempoConfig::full_evidence_s`] (18 s): the autocorrelation is a mean over the envelope,
//! whose standard error grows as the inverse square root of its length.
//!
//! **Short envelopes.** The unbiased autocorrelation at a lag close to the envelope's length
//! averages a handful of products, so the comb reads lags up to
//! [`TempoConfig::max_lag_fraction`] (half) of the length: from about 12 s on this is no limit;
//! on a 3 s clip only one period of the slowest tempi fits, and tempi slower than two periods per
//! clip get no periodicity. A multiple `k·τ_b` beyond the longest lag counts as 0 in the comb (the
//! mean over the multiples that fit would favour the slow tempi, whose single `r(τ)` is not
//! diluted by weaker multiples). Inputs too short for one period of `max_bpm`, silent or constant
//! give tempo 0 with confidence 0 (the rhythm analysis sets its own shortest duration,
//! [`crate::rhythm::RhythmConfig::min_duration_s`]).
//!
//! # References
//! - E. D. Scheirer, "Tempo and beat analysis of acoustic musical signals", JASA 103(1), 1998.
//! - D. P. W. Ellis, "Beat tracking by dynamic programming", J. New Music Research 36(1), 2007.
//! - G. Percival, G. Tzanetakis, "Streamlined tempo estimation based on autocorrelation and
//!   cross-correlation with pulses", IEEE/ACM TASLP 22(12), 2014.
//! - S. Böck, F. Krebs, G. Widmer, "Accurate tempo estimation based on recurrent neural networks
//!   and resonating comb filters", ISMIR 2015.
//! - H. Schreiber, M. Müller, "A single-step approach to musical tempo estimation using a
//!   convolutional neural network", ISMIR 2018.

use crate::error::{AnalyzerError, Result, check};
use crate::simd;

/// Default lowest tempo in BPM.
pub const DEFAULT_MIN_BPM: f32 = 40.0;
/// Default highest tempo in BPM.
pub const DEFAULT_MAX_BPM: f32 = 240.0;
/// Default resolution of the tempo grid.
pub const DEFAULT_BINS_PER_OCTAVE: usize = 120;
/// Default number of period multiples in the harmonic comb.
pub const DEFAULT_N_HARMONICS: usize = 4;
/// Default decay exponent `d` of the comb weights `k^−d`.
pub const DEFAULT_HARMONIC_DECAY: f32 = 0.5;
/// Default width σ, in frames, of the Gaussian smoothing of the autocorrelation over lags
/// ([`TempoConfig::lag_smoothing_frames`]). Onsets are quantised to frames, so a pulse whose
/// period is a fractional number of frames splits its autocorrelation peak between the two
/// nearest lags, and linear interpolation reads it up to half lower than a period of a whole
/// number of frames: on a steady four-on-the-floor at 125 BPM (41.3 frames) the 3:2 period of
/// 62.0 frames won. Smoothing makes the peaks wider than a frame, so they are read at nearly
/// full height whatever their fractional position.
pub const DEFAULT_LAG_SMOOTHING_FRAMES: f32 = 2.0;
/// Largest accepted [`TempoConfig::lag_smoothing_frames`].
pub const MAX_LAG_SMOOTHING_FRAMES: f32 = 8.0;
/// The smoothing Gaussian is truncated at this many σ.
const LAG_SMOOTHING_TRUNCATION: f32 = 3.0;
/// Default centre of the log-Gaussian tempo prior in BPM (Ellis 2007; librosa `start_bpm`).
pub const DEFAULT_PRIOR_CENTER_BPM: f32 = 120.0;
/// Default width of the log-Gaussian tempo prior in octaves (Ellis 2007: 1.4 octaves; librosa
/// uses 1.0, which doubles slow tempi more often on the development data).
pub const DEFAULT_PRIOR_SIGMA_OCTAVES: f32 = 1.4;
/// Default length of the windows used for the stability part of the confidence, in seconds.
pub const DEFAULT_LOCAL_WINDOW_S: f32 = 12.0;
/// Default hop between those windows, in seconds.
pub const DEFAULT_LOCAL_HOP_S: f32 = 6.0;
/// Default periodicity strength that counts as fully clear.
pub const DEFAULT_CLARITY_FULL: f32 = 0.4;
/// Default half-width, in octaves, of the search for each window's local tempo around the global
/// peak (±8 %: twice Accuracy1's tolerance, well inside the 41 % to the next 3:2 or 4:3 level).
pub const DEFAULT_LOCAL_SEARCH_OCTAVES: f32 = 0.111;
/// Default longest autocorrelation lag the comb reads, as a fraction of the envelope's length
/// (half: every lag is averaged over at least half of the signal; no limit from 12 s on, where
/// the longest lag, four periods of 40 BPM, is already under half).
pub const DEFAULT_MAX_LAG_FRACTION: f32 = 0.5;
/// Default length of envelope, in seconds, from which the confidence is not scaled down for
/// lack of evidence: one window and one hop, the shortest input whose stability is measured on
/// two windows.
pub const DEFAULT_FULL_EVIDENCE_S: f32 = DEFAULT_LOCAL_WINDOW_S + DEFAULT_LOCAL_HOP_S;

/// How the global tempo is read from the periodicity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum GlobalTempo {
    /// The peak of the whole envelope's comb periodicity (librosa's `feature.tempo` with
    /// `aggregate=None` over the whole signal).
    Autocorrelation,
    /// The median of the windows' local peaks near that peak: the tempo of most of the track
    /// (see the module docs).
    #[default]
    LocalMedian,
}

/// A prior over tempo, used to choose the metrical level.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum TempoPrior {
    /// Every tempo in range is equally likely.
    Uniform,
    /// `p(b) = exp(−½·(log2(b / center_bpm) / sigma_octaves)²)`.
    LogGaussian {
        /// Most likely tempo in BPM.
        center_bpm: f32,
        /// Standard deviation in octaves.
        sigma_octaves: f32,
    },
}

impl Default for TempoPrior {
    fn default() -> Self {
        TempoPrior::LogGaussian { center_bpm: DEFAULT_PRIOR_CENTER_BPM, sigma_octaves: DEFAULT_PRIOR_SIGMA_OCTAVES }
    }
}

impl TempoPrior {
    /// The (unnormalised) prior weight of `bpm`.
    pub fn weight(&self, bpm: f32) -> f32 {
        match *self {
            TempoPrior::Uniform => 1.0,
            TempoPrior::LogGaussian { center_bpm, sigma_octaves } => {
                let z = (bpm / center_bpm).log2() / sigma_octaves;
                (-0.5 * z * z).exp()
            }
        }
    }

    fn validate(&self) -> Result<()> {
        match *self {
            TempoPrior::Uniform => Ok(()),
            TempoPrior::LogGaussian { center_bpm, sigma_octaves } => {
                check::positive_f32("center_bpm", center_bpm)?;
                check::positive_f32("sigma_octaves", sigma_octaves)
            }
        }
    }
}

/// Parameters of the tempo estimator.
#[derive(Debug, Clone, PartialEq)]
pub struct TempoConfig {
    /// Lowest tempo in BPM.
    pub min_bpm: f32,
    /// Highest tempo in BPM.
    pub max_bpm: f32,
    /// Grid points per octave of tempo.
    pub bins_per_octave: usize,
    /// Number of period multiples `K` in the harmonic comb (≥ 1).
    pub n_harmonics: usize,
    /// Decay exponent `d ≥ 0` of the comb weights `k^−d`.
    pub harmonic_decay: f32,
    /// Prior over tempo (chooses the metrical level).
    pub prior: TempoPrior,
    /// Window length for the stability part of the confidence, in seconds.
    pub local_window_s: f32,
    /// Hop between those windows, in seconds.
    pub local_hop_s: f32,
    /// Periodicity strength `S(b*)` at which the clarity part of the confidence reaches 1.
    pub clarity_full: f32,
    /// How the global tempo is read ([`GlobalTempo`]).
    pub global: GlobalTempo,
    /// Half-width in octaves of each window's local-tempo search around the global peak
    /// ([`GlobalTempo::LocalMedian`]).
    pub local_search_octaves: f32,
    /// Longest lag the comb reads, as a fraction of the envelope's length in (0, 1]: on a short
    /// envelope the comb drops the multiples `k·τ_b` beyond it (the unbiased autocorrelation at
    /// a lag near the length averages a handful of products), and a tempo whose period itself
    /// is beyond it gets no periodicity.
    pub max_lag_fraction: f32,
    /// Width σ in frames of the Gaussian that smooths the autocorrelation over lags before the
    /// comb reads it (0: none). See [`DEFAULT_LAG_SMOOTHING_FRAMES`].
    pub lag_smoothing_frames: f32,
    /// Length of envelope in seconds from which the confidence is not scaled down: a shorter
    /// one multiplies it by `sqrt(length / full_evidence_s)` (a 3 s clip holds a few beats and
    /// no measure of the tempo's stability; its periodicity can look clear and still be wrong).
    pub full_evidence_s: f32,
}

impl Default for TempoConfig {
    fn default() -> Self {
        Self {
            min_bpm: DEFAULT_MIN_BPM,
            max_bpm: DEFAULT_MAX_BPM,
            bins_per_octave: DEFAULT_BINS_PER_OCTAVE,
            n_harmonics: DEFAULT_N_HARMONICS,
            harmonic_decay: DEFAULT_HARMONIC_DECAY,
            prior: TempoPrior::default(),
            local_window_s: DEFAULT_LOCAL_WINDOW_S,
            local_hop_s: DEFAULT_LOCAL_HOP_S,
            clarity_full: DEFAULT_CLARITY_FULL,
            global: GlobalTempo::default(),
            local_search_octaves: DEFAULT_LOCAL_SEARCH_OCTAVES,
            max_lag_fraction: DEFAULT_MAX_LAG_FRACTION,
            full_evidence_s: DEFAULT_FULL_EVIDENCE_S,
            lag_smoothing_frames: DEFAULT_LAG_SMOOTHING_FRAMES,
        }
    }
}

impl TempoConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        check::positive_f32("min_bpm", self.min_bpm)?;
        check::ordered_range("min_bpm..max_bpm", self.min_bpm, self.max_bpm)?;
        check::at_least("bins_per_octave", self.bins_per_octave, 1)?;
        check::at_least("n_harmonics", self.n_harmonics, 1)?;
        if !(self.harmonic_decay.is_finite() && self.harmonic_decay >= 0.0) {
            return Err(AnalyzerError::invalid("harmonic_decay", format!("must be >= 0, got {}", self.harmonic_decay)));
        }
        self.prior.validate()?;
        check::positive_f32("local_window_s", self.local_window_s)?;
        check::positive_f32("local_hop_s", self.local_hop_s)?;
        check::positive_f32("clarity_full", self.clarity_full)?;
        check::positive_f32("local_search_octaves", self.local_search_octaves)?;
        check::positive_f32("full_evidence_s", self.full_evidence_s)?;
        if !(self.lag_smoothing_frames.is_finite()
            && (0.0..=MAX_LAG_SMOOTHING_FRAMES).contains(&self.lag_smoothing_frames))
        {
            return Err(AnalyzerError::invalid(
                "lag_smoothing_frames",
                format!("must be in 0..={MAX_LAG_SMOOTHING_FRAMES}, got {}", self.lag_smoothing_frames),
            ));
        }
        if !(self.max_lag_fraction > 0.0 && self.max_lag_fraction <= 1.0) {
            return Err(AnalyzerError::invalid(
                "max_lag_fraction",
                format!("must be in (0, 1], got {}", self.max_lag_fraction),
            ));
        }
        Ok(())
    }

    /// The lag (frames) that holds all `K` comb multiples of the slowest tempo, `min_bpm`.
    fn comb_reach(&self, frame_rate: f32) -> usize {
        (60.0 * frame_rate / self.min_bpm * self.n_harmonics as f32).ceil() as usize + 1
    }

    /// The longest autocorrelation lag (frames) the comb reads on an envelope of `n` frames at
    /// `frame_rate`: `K` periods of `min_bpm`, at most [`TempoConfig::max_lag_fraction`] of
    /// `n`; `None` when not even one period of `max_bpm` fits (too short to measure a tempo).
    fn max_lag(&self, n: usize, frame_rate: f32) -> Option<usize> {
        let shortest_period = 60.0 * frame_rate / self.max_bpm;
        let lag = self.comb_reach(frame_rate).min((n as f32 * self.max_lag_fraction).floor() as usize);
        // `interp` reads `r[i + 1]`: the shortest period needs one more lag than itself.
        (lag as f32 >= shortest_period.ceil() + 1.0).then_some(lag)
    }

    /// The log-spaced tempo grid in BPM.
    pub fn bpm_grid(&self) -> Vec<f32> {
        let octaves = (self.max_bpm / self.min_bpm).log2();
        let n = (octaves * self.bins_per_octave as f32).ceil() as usize + 1;
        (0..n)
            .map(|i| self.min_bpm * 2f32.powf(i as f32 / self.bins_per_octave as f32))
            .map(|b| b.min(self.max_bpm))
            .collect()
    }
}

/// A tempo estimate.
#[derive(Debug, Clone, PartialEq)]
pub struct TempoEstimate {
    /// Tempo in BPM (0 when no tempo could be measured).
    pub bpm: f32,
    /// Confidence in 0–1.
    pub confidence: f32,
    /// The tempo grid in BPM.
    pub bpm_grid: Vec<f32>,
    /// The periodicity strength `S(b)` on the grid (before the prior).
    pub strength: Vec<f32>,
}

/// Normalised autocorrelation of `x` (mean already removed) for lags `0..=max_lag`; `r[0] = 1`.
/// Returns `None` for a signal without energy.
fn autocorrelation(x: &[f32], max_lag: usize) -> Option<Vec<f32>> {
    let n = x.len();
    let energy = simd::dot(x, x) as f64 / n.max(1) as f64;
    if n == 0 || energy.is_nan() || energy <= f64::from(f32::MIN_POSITIVE) {
        return None;
    }
    let max_lag = max_lag.min(n - 1);
    Some(
        (0..=max_lag)
            .map(|lag| {
                let c = simd::dot(&x[..n - lag], &x[lag..]) as f64 / (n - lag) as f64;
                (c / energy) as f32
            })
            .collect(),
    )
}

/// `r` at a fractional lag (linear interpolation); `None` beyond the last lag.
fn interp(r: &[f32], lag: f32) -> Option<f32> {
    let i = lag.floor() as usize;
    let frac = lag - i as f32;
    if i + 1 >= r.len() {
        return None;
    }
    Some(r[i] * (1.0 - frac) + r[i + 1] * frac)
}

/// `r` smoothed over lags by a Gaussian of width `sigma` frames (truncated at 3σ and
/// renormalised at the last lags; `r(−τ) = r(τ)` below lag 0); a copy of `r` for `sigma = 0`.
fn smoothed_lags(r: &[f32], sigma: f32) -> Vec<f32> {
    if sigma <= 0.0 {
        return r.to_vec();
    }
    let half = (LAG_SMOOTHING_TRUNCATION * sigma).ceil() as isize;
    let taps: Vec<f32> = (-half..=half).map(|j| (-0.5 * (j as f32 / sigma).powi(2)).exp()).collect();
    let n = r.len() as isize;
    (0..n)
        .map(|i| {
            let (mut acc, mut wsum) = (0.0f32, 0.0f32);
            for (j, &w) in (-half..=half).zip(&taps) {
                let k = (i + j).abs();
                if k < n {
                    acc += w * r[k as usize];
                    wsum += w;
                }
            }
            acc / wsum
        })
        .collect()
}

/// The comb periodicity `S(b)` on `grid` from an autocorrelation.
fn comb_strength(r: &[f32], grid: &[f32], frame_rate: f32, config: &TempoConfig) -> Vec<f32> {
    // A multiple beyond the longest lag counts as no evidence (0), not as absent: the mean over
    // the multiples that fit would favour slow tempi on a short envelope, whose single `r(τ)` is
    // not diluted by the weaker `r(k·τ)` that every faster tempo sums. So every tempo divides by
    // the same sum of weights.
    let weights: Vec<f32> = (1..=config.n_harmonics).map(|k| (k as f32).powf(-config.harmonic_decay)).collect();
    let wsum: f32 = weights.iter().sum();
    grid.iter()
        .map(|&bpm| {
            let period = 60.0 * frame_rate / bpm;
            let acc: f32 = (1..=config.n_harmonics)
                .zip(&weights)
                .filter_map(|(k, &w)| interp(r, k as f32 * period).map(|v| w * v))
                .sum();
            if wsum > 0.0 { acc / wsum } else { 0.0 }
        })
        .collect()
}

/// Index of the maximum of `max(S, 0)·prior`, or `None` if every value is ≤ 0.
fn best_index(strength: &[f32], prior: &[f32]) -> Option<usize> {
    let mut best: Option<(usize, f32)> = None;
    for (i, (&s, &p)) in strength.iter().zip(prior).enumerate() {
        let v = s.max(0.0) * p;
        if v > 0.0 && best.is_none_or(|(_, b)| v > b) {
            best = Some((i, v));
        }
    }
    best.map(|(i, _)| i)
}

/// Mean-removed copy of the envelope with non-finite values zeroed.
fn centred(env: &[f32]) -> Vec<f32> {
    let clean: Vec<f32> = env.iter().map(|&v| if v.is_finite() { v } else { 0.0 }).collect();
    let mean = clean.iter().map(|&v| v as f64).sum::<f64>() / clean.len().max(1) as f64;
    clean.into_iter().map(|v| v - mean as f32).collect()
}

/// The comb periodicity `S(b)` on `grid` of an envelope (zeros when it is too short, silent or
/// constant).
pub(crate) fn comb_of_envelope(env: &[f32], frame_rate: f32, grid: &[f32], config: &TempoConfig) -> Vec<f32> {
    let Some(max_lag) = config.max_lag(env.len(), frame_rate) else { return vec![0.0; grid.len()] };
    match autocorrelation(&centred(env), max_lag) {
        Some(r) => comb_strength(&r, grid, frame_rate, config),
        None => vec![0.0; grid.len()],
    }
}

/// Estimates the global tempo of an onset strength envelope sampled at `frame_rate` Hz
/// (librosa's `feature.tempo`). See the module docs.
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config or frame rate.
pub fn estimate_tempo(onset_env: &[f32], frame_rate: f32, config: &TempoConfig) -> Result<TempoEstimate> {
    config.validate()?;
    check::positive_f32("frame_rate", frame_rate)?;
    let grid = config.bpm_grid();
    let prior: Vec<f32> = grid.iter().map(|&b| config.prior.weight(b)).collect();
    let none = |strength: Vec<f32>| TempoEstimate { bpm: 0.0, confidence: 0.0, bpm_grid: grid.clone(), strength };
    let Some(max_lag) = config.max_lag(onset_env.len(), frame_rate) else {
        return Ok(none(vec![0.0; grid.len()]));
    };
    let x = centred(onset_env);
    let Some(r) = autocorrelation(&x, max_lag) else { return Ok(none(vec![0.0; grid.len()])) };
    let strength = comb_strength(&r, &grid, frame_rate, config);
    // The peak is searched on the comb of the smoothed autocorrelation; the returned strength,
    // the clarity and the windows read the comb itself.
    let searched = if config.lag_smoothing_frames > 0.0 {
        comb_strength(&smoothed_lags(&r, config.lag_smoothing_frames), &grid, frame_rate, config)
    } else {
        strength.clone()
    };
    let Some(i) = best_index(&searched, &prior) else { return Ok(none(strength)) };

    let weighted: Vec<f32> = strength.iter().zip(&prior).map(|(&s, &p)| s.max(0.0) * p).collect();
    let global_bpm = refined_bpm(&weighted, &grid, i, config);
    let clarity = (strength[i] / config.clarity_full).clamp(0.0, 1.0);
    let local = local_windows(&x, frame_rate, &grid, &prior, i, config);
    // Windows exist only when the envelope holds at least two of them.
    let bpm = match (config.global, median(local.peaks_bpm)) {
        (GlobalTempo::LocalMedian, Some(m)) => m,
        _ => global_bpm,
    };
    let evidence = (onset_env.len() as f32 / frame_rate / config.full_evidence_s).min(1.0).sqrt();
    let confidence = (clarity * local.stability * evidence).clamp(0.0, 1.0);
    Ok(TempoEstimate { bpm, confidence, bpm_grid: grid, strength })
}

/// The tempo of grid point `i` of the prior-weighted periodicity `weighted`, refined by a
/// parabola through it and its neighbours in log-tempo, within the tempo range.
fn refined_bpm(weighted: &[f32], grid: &[f32], i: usize, config: &TempoConfig) -> f32 {
    let mut log_bpm = grid[i].log2();
    if i > 0 && i + 1 < grid.len() {
        let (a, b, c) = (weighted[i - 1], weighted[i], weighted[i + 1]);
        let denom = a - 2.0 * b + c;
        if denom < 0.0 {
            let p = (0.5 * (a - c) / denom).clamp(-0.5, 0.5);
            log_bpm += p / config.bins_per_octave as f32;
        }
    }
    2f32.powf(log_bpm).clamp(config.min_bpm, config.max_bpm)
}

/// Median of `v` (the mean of the middle two for an even count); `None` when empty.
fn median(mut v: Vec<f32>) -> Option<f32> {
    v.sort_by(f32::total_cmp);
    (!v.is_empty()).then(|| crate::descriptors::features::percentile_sorted(&v, 50.0))
}

/// What the overlapping windows say about the global peak.
struct LocalWindows {
    /// Mean over the windows of how strongly each supports the global peak relative to its own
    /// best tempo (1 when the envelope is too short for two windows).
    stability: f32,
    /// Each window's own peak within [`TempoConfig::local_search_octaves`] of the global one,
    /// refined (windows without periodicity there give none).
    peaks_bpm: Vec<f32>,
}

/// Runs the comb over overlapping windows of the centred envelope `x` (see [`LocalWindows`]);
/// `chosen` is the global peak's grid point.
fn local_windows(
    x: &[f32],
    frame_rate: f32,
    grid: &[f32],
    prior: &[f32],
    chosen: usize,
    config: &TempoConfig,
) -> LocalWindows {
    let mut out = LocalWindows { stability: 1.0, peaks_bpm: Vec::new() };
    let win = (config.local_window_s * frame_rate).round() as usize;
    let hop = ((config.local_hop_s * frame_rate).round() as usize).max(1);
    let longest_period = 60.0 * frame_rate / config.min_bpm;
    if win < 2 || x.len() < win + hop || (win as f32) < 2.0 * longest_period {
        return out;
    }
    let max_lag = config.comb_reach(frame_rate);
    let reach = (config.local_search_octaves * config.bins_per_octave as f32).round() as usize;
    let (lo, hi) = (chosen.saturating_sub(reach), (chosen + reach).min(grid.len() - 1));
    let (mut total, mut windows) = (0.0f32, 0usize);
    let mut start = 0;
    while start + win <= x.len() {
        let seg = centred(&x[start..start + win]);
        windows += 1;
        if let Some(r) = autocorrelation(&seg, max_lag) {
            let s = comb_strength(&r, grid, frame_rate, config);
            let weighted: Vec<f32> = s.iter().zip(prior).map(|(&v, &p)| v.max(0.0) * p).collect();
            let best = weighted.iter().copied().fold(0.0f32, f32::max);
            if best > 0.0 {
                total += weighted[chosen] / best;
            }
            let near = (lo..=hi).max_by(|&a, &b| weighted[a].total_cmp(&weighted[b]));
            if let Some(j) = near.filter(|&j| weighted[j] > 0.0) {
                out.peaks_bpm.push(refined_bpm(&weighted, grid, j, config));
            }
        }
        start += hop;
    }
    out.stability = if windows == 0 { 1.0 } else { total / windows as f32 };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FPS: f32 = 22050.0 / 256.0;

    /// An onset envelope of sharp pulses at `bpm`, `seconds` long, with weaker off-beats.
    fn pulses(bpm: f32, seconds: f32, offbeat: f32) -> Vec<f32> {
        let n = (seconds * FPS) as usize;
        let period = 60.0 * FPS / bpm;
        let mut env = vec![0.0f32; n];
        let mut t = 0.0f32;
        while (t as usize) < n {
            env[t as usize] += 1.0;
            let off = (t + period / 2.0) as usize;
            if off < n {
                env[off] += offbeat;
            }
            t += period;
        }
        env
    }

    #[test]
    fn pulse_trains_across_the_range() {
        for bpm in [40.0f32, 55.0, 72.0, 90.0, 100.0, 128.0, 140.0, 174.0, 200.0, 240.0] {
            let est = estimate_tempo(&pulses(bpm, 40.0, 0.0), FPS, &TempoConfig::default()).unwrap();
            // Pulse trains are metrically ambiguous: the estimate must be the tempo or an octave.
            let ratio = est.bpm / bpm;
            let ok = [0.5f32, 1.0, 2.0].iter().any(|m| (ratio / m - 1.0).abs() < 0.02);
            assert!(ok, "{bpm} BPM estimated as {}", est.bpm);
            assert!(est.confidence > 0.5, "{bpm}: confidence {}", est.confidence);
        }
        // Within the prior's comfortable range the exact tempo is found.
        for bpm in [80.0f32, 100.0, 120.0, 150.0] {
            let est = estimate_tempo(&pulses(bpm, 40.0, 0.0), FPS, &TempoConfig::default()).unwrap();
            assert!((est.bpm / bpm - 1.0).abs() < 0.01, "{bpm} BPM estimated as {}", est.bpm);
        }
    }

    #[test]
    fn beats_with_off_beats_are_not_read_at_three_halves_their_period() {
        // A kick on every beat and a hi-hat at half its strength on every off-beat, quantised
        // to frames as onsets are. Whatever the fractional part of the period, the estimate is
        // the tempo or an octave of it, never the 3:2 period (1.5 beats) that the off-beats
        // also support. Without the lag smoothing 19 of these 121 tempi (125, 127, 138.5 ...)
        // came out at 2:3.
        for tenth in (1200..=1800).step_by(5) {
            let bpm = tenth as f32 / 10.0;
            let est = estimate_tempo(&pulses(bpm, 30.0, 0.5), FPS, &TempoConfig::default()).unwrap();
            let ratio = est.bpm / bpm;
            let ok = [0.5f32, 1.0, 2.0].iter().any(|m| (ratio / m - 1.0).abs() < 0.04);
            assert!(ok, "{bpm} BPM estimated as {}", est.bpm);
        }
    }

    #[test]
    fn lag_smoothing_keeps_the_mass_and_the_symmetry() {
        let mut r = vec![0.0f32; 64];
        r[30] = 1.0;
        assert_eq!(smoothed_lags(&r, 0.0), r);
        let s = smoothed_lags(&r, 2.0);
        assert!((s.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        for j in 1..8 {
            assert!((s[30 - j] - s[30 + j]).abs() < 1e-7 && s[30 - j] < s[30 - j + 1]);
        }
        // Lag 0 sees r(−τ) = r(τ): a constant stays constant up to the last lags.
        let c = smoothed_lags(&[0.5f32; 40], 2.0);
        assert!(c.iter().all(|&v| (v - 0.5).abs() < 1e-6), "{c:?}");
    }

    #[test]
    fn empty_short_silent_constant_impulse() {
        let cfg = TempoConfig::default();
        for env in [vec![], vec![1.0; 10], vec![0.0; 5000], vec![0.7; 5000], vec![f32::NAN; 5000]] {
            let est = estimate_tempo(&env, FPS, &cfg).unwrap();
            assert_eq!((est.bpm, est.confidence), (0.0, 0.0));
            assert_eq!(est.strength.len(), est.bpm_grid.len());
        }
        let mut imp = vec![0.0f32; 5000];
        imp[2500] = 1.0;
        let est = estimate_tempo(&imp, FPS, &cfg).unwrap();
        assert!(est.confidence < 0.1, "an impulse has no tempo: {est:?}");
    }

    #[test]
    fn short_envelopes_read_lags_up_to_half_their_length_and_scale_the_confidence() {
        let cfg = TempoConfig::default();
        // Long enough for all four comb multiples of 40 BPM: the lag limit is the comb's own.
        let long = (60.0 * FPS / cfg.min_bpm * cfg.n_harmonics as f32 / cfg.max_lag_fraction).ceil() as usize + 4;
        assert_eq!(cfg.max_lag(long, FPS), Some((60.0 * FPS / cfg.min_bpm * 4.0).ceil() as usize + 1));
        assert_eq!(cfg.max_lag(300, FPS), Some(150));
        // One period of 240 BPM is 21.5 frames, interpolated from lags 21 and 22, and the comb
        // reads lags up to 23: 46 frames are the least that hold it.
        assert_eq!(cfg.max_lag(45, FPS), None);
        assert_eq!(cfg.max_lag(46, FPS), Some(23));
        for (bpm, seconds) in [(100.0, 2.5), (150.0, 2.0), (72.0, 2.4)] {
            let env = pulses(bpm, seconds, 0.0);
            let est = estimate_tempo(&env, FPS, &cfg).unwrap();
            assert!((est.bpm / bpm - 1.0).abs() < 0.02, "{bpm} BPM over {seconds} s: {}", est.bpm);
            assert!(est.confidence > 0.0 && est.confidence <= (seconds / cfg.full_evidence_s).sqrt() + 1e-3, "{est:?}");
            // Tempi whose period is beyond half the envelope get no periodicity.
            let slowest = 60.0 * FPS / (env.len() as f32 * cfg.max_lag_fraction);
            let mut beyond = est.bpm_grid.iter().zip(&est.strength).filter(|&(&b, _)| b < slowest * 0.98);
            assert!(beyond.clone().count() > 0 && beyond.all(|(_, &s)| s == 0.0));
            // Multiples beyond the longest lag count as 0 in the comb's weighted mean.
            let max_lag = cfg.max_lag(env.len(), FPS).unwrap();
            let r = autocorrelation(&centred(&env), max_lag).unwrap();
            let wsum: f32 = (1..=cfg.n_harmonics).map(|k| (k as f32).powf(-cfg.harmonic_decay)).sum();
            let mut checked = 0;
            for (&b, &s) in est.bpm_grid.iter().zip(&est.strength) {
                let period = 60.0 * FPS / b;
                if interp(&r, period).is_some() && interp(&r, 2.0 * period).is_none() {
                    assert!((s - interp(&r, period).unwrap() / wsum).abs() < 1e-6, "{b} BPM: {s}");
                    checked += 1;
                }
            }
            assert!(checked > 0);
        }
    }

    #[test]
    fn tempo_change_lowers_confidence() {
        let mut env = pulses(90.0, 30.0, 0.0);
        env.extend(pulses(131.0, 30.0, 0.0));
        let steady = estimate_tempo(&pulses(90.0, 60.0, 0.0), FPS, &TempoConfig::default()).unwrap();
        let changing = estimate_tempo(&env, FPS, &TempoConfig::default()).unwrap();
        assert!(changing.confidence < steady.confidence - 0.2, "{} vs {}", changing.confidence, steady.confidence);
    }

    /// 55 s at 100 BPM, then 35 s at 105 BPM twice as loud (so the whole envelope's
    /// autocorrelation favours it; a song whose tempo moves by 5 %): the tempo of most of the
    /// track is 100.
    #[test]
    fn the_tempo_of_most_of_the_track_wins_over_the_busiest_part() {
        let mut env = pulses(100.0, 55.0, 0.0);
        env.extend(pulses(105.0, 35.0, 0.0).iter().map(|v| 2.0 * v));
        let global = TempoConfig { global: GlobalTempo::Autocorrelation, ..TempoConfig::default() };
        let busiest = estimate_tempo(&env, FPS, &global).unwrap();
        assert!((busiest.bpm / 105.0 - 1.0).abs() < 0.01, "the whole envelope's peak: {}", busiest.bpm);
        let est = estimate_tempo(&env, FPS, &TempoConfig::default()).unwrap();
        assert!((est.bpm / 100.0 - 1.0).abs() < 0.01, "most of the track: {}", est.bpm);
        assert_eq!(est.confidence, busiest.confidence);
        // A steady tempo is the same either way (within the grid's refinement).
        let steady = pulses(97.0, 60.0, 0.3);
        let (a, b) = (
            estimate_tempo(&steady, FPS, &global).unwrap(),
            estimate_tempo(&steady, FPS, &TempoConfig::default()).unwrap(),
        );
        assert!((a.bpm / b.bpm - 1.0).abs() < 0.002, "{} vs {}", a.bpm, b.bpm);
        // Too short for two windows: the global peak.
        let short = pulses(97.0, 15.0, 0.3);
        let (a, b) = (
            estimate_tempo(&short, FPS, &global).unwrap(),
            estimate_tempo(&short, FPS, &TempoConfig::default()).unwrap(),
        );
        assert_eq!(a, b);
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let bad = [
            TempoConfig { min_bpm: 0.0, ..TempoConfig::default() },
            TempoConfig { min_bpm: 200.0, max_bpm: 100.0, ..TempoConfig::default() },
            TempoConfig { n_harmonics: 0, ..TempoConfig::default() },
            TempoConfig { bins_per_octave: 0, ..TempoConfig::default() },
            TempoConfig { harmonic_decay: -1.0, ..TempoConfig::default() },
            TempoConfig { lag_smoothing_frames: -1.0, ..TempoConfig::default() },
            TempoConfig { lag_smoothing_frames: f32::NAN, ..TempoConfig::default() },
            TempoConfig { lag_smoothing_frames: 100.0, ..TempoConfig::default() },
            TempoConfig {
                prior: TempoPrior::LogGaussian { center_bpm: 120.0, sigma_octaves: 0.0 },
                ..TempoConfig::default()
            },
            TempoConfig { local_window_s: f32::NAN, ..TempoConfig::default() },
            TempoConfig { clarity_full: 0.0, ..TempoConfig::default() },
            TempoConfig { local_search_octaves: 0.0, ..TempoConfig::default() },
            TempoConfig { local_search_octaves: f32::NAN, ..TempoConfig::default() },
            TempoConfig { max_lag_fraction: 0.0, ..TempoConfig::default() },
            TempoConfig { max_lag_fraction: 1.5, ..TempoConfig::default() },
            TempoConfig { max_lag_fraction: f32::NAN, ..TempoConfig::default() },
            TempoConfig { full_evidence_s: 0.0, ..TempoConfig::default() },
        ];
        for cfg in bad {
            assert_eq!(estimate_tempo(&[0.0; 100], FPS, &cfg).unwrap_err().kind(), crate::ErrorKind::InvalidParameter);
        }
        assert!(estimate_tempo(&[0.0; 100], 0.0, &TempoConfig::default()).is_err());
    }

    #[test]
    fn grid_spans_the_range() {
        let g = TempoConfig::default().bpm_grid();
        assert_eq!(g[0], DEFAULT_MIN_BPM);
        assert!((g[g.len() - 1] - DEFAULT_MAX_BPM).abs() < 1e-3);
        assert!(g.windows(2).all(|w| w[1] >= w[0]));
    }
}
