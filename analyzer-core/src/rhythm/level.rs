//! The metrical level of the tempo: whether the comb's choice `b*` ([`crate::rhythm::tempo`]),
//! its half or its double is the beat listeners tap.
//!
//! The periodicity of an onset envelope is ambiguous by octaves; a fixed prior over tempo picks
//! the level well on music whose drums mark the beat and badly on music without drums, where an
//! accompaniment in eighth notes doubles slow songs. Following the tempo-octave classifiers of
//! the literature (Gkiokas et al. 2012; Hörschläger et al. 2015; Schreiber & Müller 2017's
//! "tempo class" step), a small model scores the three candidates `c ∈ {b*/2, b*, 2·b*}` (those
//! in range) and keeps the best:
//!
//! `u(c) = Σ_k w_k · f_k(c)`, `P(c) = exp(u(c)) / Σ_c' exp(u(c'))`,
//!
//! a conditional logit whose features `f(c)` are, with `z = log2(c / 120)`:
//! - `z` and `z²` (a learned prior over tempo);
//! - `S(c)`, `S_low(c)`, `S_high(c)`: the harmonic-comb periodicity
//!   ([`crate::rhythm::tempo`]) of the full SuperFlux envelope and of the rectified flux of the
//!   low bands (below [`LevelConfig::low_band_max_hz`]: bass and kick drum) and of the high
//!   bands (above [`LevelConfig::high_band_min_hz`]: hi-hats, snare, cymbals), each the
//!   maximum within [`LevelConfig::search_bins`] grid points of `c`;
//! - `z` times track descriptors (which let the same evidence favour a faster or slower level
//!   on different material): the onset rate `log2(onsets per minute / 120)`, the low bands'
//!   share of the flux, and the high bands' share;
//! - `k`, the candidate's octave (−1, 0, 1);
//! - `g = A(c) · A(c/2)`, the metrical grouping of the candidate's events
//!   ([`metrical_alternation`]: on the beats the tracker finds at `b*`, `A(l)` is the
//!   envelope's strength at level `l`'s off-beats against its beats, `ln(mean off / mean on)`,
//!   negative when the off-beats are weaker). `g` is large only when both the candidate's
//!   off-beats are weak *and* its own beats alternate strong-weak, i.e. when the candidate is
//!   the subdivision of a slower, grouped level (eighth notes under a ballad's beat); an
//!   isochronous pulse (every event alike,
//!   `A(c/2) = 0`) gives 0 however silent its off-beats, and the other features decide
//!   (metrical well-formedness: strong and weak beats alternate at each level, Lerdahl &
//!   Jackendoff 1983; beat-strength profiles, Gouyon & Dixon 2005).
//!
//! When the spectrogram has no band above [`LevelConfig::high_band_min_hz`] (a sample rate
//! below twice that frequency), or the estimate has no tempo, the comb's choice is kept. It is
//! also kept for an **isolated pulse** ([`LevelConfig::keep_isolated_pulse`]): when nothing
//! sounds between the comb's beats (`A(b*)` at its floor [`ALTERNATION_MIN_LOG_RATIO`], off-beats
//! weaker than 1/55 of the beats), as with a metronome. Music the model was fitted on does not
//! reach that floor (see the constant), so there its features extrapolate: a pure-tone metronome
//! at 120 BPM has neither the hi-hat flux that pulls the model to the faster level nor any
//! subdivision that could make its clicks eighth notes, yet the drumless-ballad evidence of the
//! fit (the tempo prior and octave terms) halved it to 60.
//!
//! The weights ([`LEARNED_WEIGHTS`]) were fitted by maximum likelihood with an L2 penalty by
//! `scripts/tempo/fit_tempo_level.py` on features that `eval_tempo --level-dump` writes (every
//! candidate within 4 % of an annotated tempo counts as correct); the script's header says
//! on what data and with what cross-validated accuracy.
//!
//! # References
//! - A. Gkiokas, V. Katsouros, G. Carayannis, "Reducing tempo octave errors by periodicity
//!   vector coding and SVM learning", ISMIR 2012.
//! - F. Hörschläger, R. Vogl, S. Böck, P. Knees, "Addressing tempo estimation octave errors in
//!   electronic music by incorporating style information extracted from Wikipedia", SMC 2015.
//! - H. Schreiber, M. Müller, "A post-processing procedure for improving music tempo estimates
//!   using supervised learning", ISMIR 2017.
//! - D. McFadden, "Conditional logit analysis of qualitative choice behavior", 1973.
//! - F. Lerdahl, R. Jackendoff, "A Generative Theory of Tonal Music", MIT Press, 1983.
//! - F. Gouyon, S. Dixon, "A review of automatic rhythm description systems", Computer Music
//!   Journal 29(1), 2005.

use crate::error::{AnalyzerError, Result};
use crate::rhythm::onset::OnsetStrength;
use crate::rhythm::tempo::{self, TempoConfig, TempoEstimate};
use crate::spectral::FrameRows;

/// Default upper edge of the low bands in Hz (bass and kick drum).
pub const DEFAULT_LOW_BAND_MAX_HZ: f32 = 200.0;
/// Default lower edge of the high bands in Hz (hi-hats, snare noise, cymbals).
pub const DEFAULT_HIGH_BAND_MIN_HZ: f32 = 4000.0;
/// Default half-width, in tempo-grid points, of the search for a candidate's periodicity.
pub const DEFAULT_SEARCH_BINS: usize = 4;
/// Default time-signature confidence of an odd meter at `b*` that vetoes halving.
pub const DEFAULT_ODD_METER_VETO_CONFIDENCE: f32 = 0.5;
/// Default half-width, in seconds, of the window around a metrical position in which the
/// onset envelope's maximum is its strength ([`metrical_alternation`]).
pub const DEFAULT_ALTERNATION_HALF_WIDTH_S: f32 = 0.025;
/// Default of [`LevelConfig::keep_isolated_pulse`].
pub const DEFAULT_KEEP_ISOLATED_PULSE: bool = true;
/// Fewest beats at `b*` for the alternation features; with fewer they are 0 (no evidence).
pub const MIN_ALTERNATION_BEATS: usize = 8;
/// Floor of the mean strengths in the alternation's log ratios (an envelope that is 0 at every
/// position gives a ratio of 1, not a NaN).
const ALTERNATION_STRENGTH_FLOOR: f64 = 1e-6;
/// Lowest alternation log ratio: off-beats weaker than `e⁻⁴ ≈ 1/55` of the beats count as
/// silent. On music the ratio stays above it (lowest −4.02 over the 1,242 POP909 renders and
/// 46 GiantSteps tracks of the fit, 0.1 % of candidates below −4); synthetic clicks with silent
/// off-beats would reach −14. Part of the fitted model (the weights were fitted on clipped
/// values).
pub const ALTERNATION_MIN_LOG_RATIO: f32 = -4.0;
/// Centre of the tempo axis `z = log2(bpm / LEVEL_CENTER_BPM)` of the features.
pub const LEVEL_CENTER_BPM: f32 = 120.0;

/// Number of features per candidate.
pub const N_LEVEL_FEATURES: usize = 10;
/// Names of the features, in order (for the training script and the dumps).
pub const LEVEL_FEATURE_NAMES: [&str; N_LEVEL_FEATURES] =
    ["z", "z2", "s", "s_low", "s_high", "z_rate", "z_low_share", "z_high_share", "k", "g"];

/// The fitted weights of [`LevelMethod::Learned`], in the order of [`LEVEL_FEATURE_NAMES`].
pub const LEARNED_WEIGHTS: [f32; N_LEVEL_FEATURES] =
    [-3.16, -3.9051, 5.6608, 2.8646, -4.2604, 1.9194, -9.0593, 50.676, -2.6542, -2.6201];

/// How the metrical level is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum LevelMethod {
    /// Keep the comb's choice under the tempo prior ([`crate::rhythm::tempo::TempoPrior`]).
    Prior,
    /// The fitted conditional logit over `b*/2`, `b*`, `2·b*` (see the module docs).
    #[default]
    Learned,
}

/// Parameters of the metrical-level choice.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelConfig {
    /// How the level is chosen.
    pub method: LevelMethod,
    /// Upper edge of the low bands in Hz.
    pub low_band_max_hz: f32,
    /// Lower edge of the high bands in Hz.
    pub high_band_min_hz: f32,
    /// Half-width of the periodicity search around a candidate, in tempo-grid points.
    pub search_bins: usize,
    /// Halving is vetoed when the meter found at `b*` has an odd number of beats per bar (3, 5
    /// or 7: its beats do not group in pairs) with at least this time-signature confidence.
    pub odd_meter_veto_confidence: f32,
    /// Half-width in seconds of the window in which a metrical position's strength is taken
    /// ([`metrical_alternation`]).
    pub alternation_half_width_s: f32,
    /// Keep the comb's choice when its beats are an isolated pulse: the envelope between them is
    /// silent (`A(b*)` at [`ALTERNATION_MIN_LOG_RATIO`]), as with a metronome (module docs).
    pub keep_isolated_pulse: bool,
}

impl Default for LevelConfig {
    fn default() -> Self {
        Self {
            method: LevelMethod::default(),
            low_band_max_hz: DEFAULT_LOW_BAND_MAX_HZ,
            high_band_min_hz: DEFAULT_HIGH_BAND_MIN_HZ,
            search_bins: DEFAULT_SEARCH_BINS,
            odd_meter_veto_confidence: DEFAULT_ODD_METER_VETO_CONFIDENCE,
            alternation_half_width_s: DEFAULT_ALTERNATION_HALF_WIDTH_S,
            keep_isolated_pulse: DEFAULT_KEEP_ISOLATED_PULSE,
        }
    }
}

impl LevelConfig {
    /// Checks every field.
    ///
    /// # Errors
    /// [`AnalyzerError::InvalidParameter`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        crate::error::check::positive_f32("low_band_max_hz", self.low_band_max_hz)?;
        crate::error::check::positive_f32("high_band_min_hz", self.high_band_min_hz)?;
        if self.high_band_min_hz <= self.low_band_max_hz {
            return Err(AnalyzerError::invalid(
                "high_band_min_hz",
                format!("must exceed low_band_max_hz ({}), got {}", self.low_band_max_hz, self.high_band_min_hz),
            ));
        }
        crate::error::check::unit_f32("odd_meter_veto_confidence", self.odd_meter_veto_confidence)?;
        crate::error::check::non_negative("alternation_half_width_s", self.alternation_half_width_s)
    }
}

/// One candidate tempo and its features.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelCandidate {
    /// Tempo in BPM.
    pub bpm: f32,
    /// `−1` for `b*/2`, `0` for `b*`, `1` for `2·b*`.
    pub octave: i8,
    /// The features, in the order of [`LEVEL_FEATURE_NAMES`].
    pub features: [f32; N_LEVEL_FEATURES],
}

/// The outcome of the level choice.
#[derive(Debug, Clone, PartialEq)]
pub struct LevelChoice {
    /// The chosen tempo in BPM.
    pub bpm: f32,
    /// The model's probability of the chosen candidate (1 for [`LevelMethod::Prior`]).
    pub probability: f32,
    /// `−1` when `b*/2` was chosen, `0` for `b*`, `1` for `2·b*`.
    pub octave: i8,
    /// The candidates that were compared.
    pub candidates: Vec<LevelCandidate>,
    /// The model's probability of each candidate.
    pub probabilities: Vec<f32>,
}

impl LevelChoice {
    /// Keeps `b*` instead of the chosen candidate, with the probability that the model did not
    /// prefer a slower level (used when the meter shows that `b*`'s beats do not group in pairs).
    pub fn keep_comb_choice(&mut self, comb_bpm: f32) {
        let slower: f32 =
            self.candidates.iter().zip(&self.probabilities).filter(|(c, _)| c.octave < 0).map(|(_, p)| p).sum();
        self.bpm = comb_bpm;
        self.octave = 0;
        self.probability = (1.0 - slower).clamp(0.0, 1.0);
    }
}

/// Rectified first difference of the spectrogram, summed over the columns whose centre is below
/// `low_max` Hz (the low envelope), over those at or above `high_min` Hz (the high envelope), and
/// over every column (returned as a total over all frames); one pass over the spectrogram.
fn band_fluxes(os: &OnsetStrength, low_max: f32, high_min: f32) -> (Vec<f32>, Vec<f32>, f64) {
    let n = os.spectrogram.n_frames();
    let n_cols = os.spectrogram.n_bins();
    let (mut low, mut high) = (vec![0.0f32; n], vec![0.0f32; n]);
    let mut total = 0.0f64;
    let mut prev = vec![0.0f32; n_cols];
    let mut cur = vec![0.0f32; n_cols];
    for t in 0..n {
        os.spectrogram.frame_into(t, &mut cur);
        if t > 0 {
            let (mut l, mut h, mut a) = (0.0f32, 0.0f32, 0.0f32);
            for ((&c, &p), &f) in cur.iter().zip(&prev).zip(&os.band_hz) {
                let d = (c - p).max(0.0);
                a += d;
                if f < low_max {
                    l += d;
                } else if f >= high_min {
                    h += d;
                }
            }
            low[t] = l;
            high[t] = h;
            total += f64::from(a);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    (low, high, total)
}

/// Largest value of `s` within `half_width` points of `i`.
fn local_max(s: &[f32], i: usize, half_width: usize) -> f32 {
    let lo = i.saturating_sub(half_width);
    let hi = (i + half_width + 1).min(s.len());
    s[lo..hi].iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// Share of `part` in `total` (0 when `total` is 0).
fn share(part: &[f32], total: f64) -> f32 {
    let p: f64 = part.iter().map(|&v| f64::from(v)).sum();
    if total > 0.0 { (p / total) as f32 } else { 0.0 }
}

/// The envelope's maximum within `half_width` frames of position `x` (in frames, fractional,
/// clamped to the envelope); non-finite values count as 0.
fn strength_at(env: &[f32], x: f64, half_width: usize) -> f64 {
    let last = env.len().saturating_sub(1);
    let centre = x.round().clamp(0.0, last as f64) as usize;
    let (lo, hi) = (centre.saturating_sub(half_width), (centre + half_width).min(last));
    f64::from(env[lo..=hi].iter().copied().filter(|v| v.is_finite()).fold(0.0f32, f32::max))
}

/// `ln(off / on)` of two mean strengths, floored (see [`ALTERNATION_STRENGTH_FLOOR`] and
/// [`ALTERNATION_MIN_LOG_RATIO`]).
fn log_ratio(off: f64, on: f64) -> f32 {
    let r = (off.max(ALTERNATION_STRENGTH_FLOOR) / on.max(ALTERNATION_STRENGTH_FLOOR)).ln() as f32;
    r.max(ALTERNATION_MIN_LOG_RATIO)
}

/// The metrical alternation around the beats `beats` (envelope frames, increasing) tracked at
/// the comb's tempo `b*`: `[A(2·b*), A(b*), A(b*/2), A(b*/4)]`, each `ln(mean off / mean on)`
/// of the envelope's strength (its maximum within `half_width` frames) at a level's off-beats
/// and beats:
/// - `2·b*`: on the beats and the midpoints between them, off the quarter points;
/// - `b*`: on the beats, off the midpoints;
/// - `b*/2`: the stronger of the even- and odd-numbered beats, off the weaker;
/// - `b*/4`: the strongest of the four beat classes `i mod 4`, off the class two beats away.
///
/// A value near 0 says the level's off-beats are as strong as its beats (the level is too
/// slow: its off-beats are beats); strongly negative, that they are weak; never below
/// [`ALTERNATION_MIN_LOG_RATIO`]. All 0 with fewer than [`MIN_ALTERNATION_BEATS`] beats or an
/// empty envelope.
///
/// # References
/// F. Gouyon, S. Dixon, "A review of automatic rhythm description systems", Computer Music
/// Journal 29(1), 2005 (metrical-level strength profiles); F. Lerdahl, R. Jackendoff, "A
/// Generative Theory of Tonal Music", 1983 (metrical well-formedness: strong and weak beats
/// alternate at each level).
pub fn metrical_alternation(env: &[f32], beats: &[usize], half_width: usize) -> [f32; 4] {
    if beats.len() < MIN_ALTERNATION_BEATS || env.is_empty() {
        return [0.0; 4];
    }
    let strength = |x: f64| strength_at(env, x, half_width);
    let b: Vec<f64> = beats.iter().map(|&f| f as f64).collect();
    // Strengths at the beats, and at the fraction `w` of the way from each beat to the next.
    let on: Vec<f64> = b.iter().map(|&x| strength(x)).collect();
    let between = |w: f64| -> Vec<f64> { b.windows(2).map(|p| strength(p[0] * (1.0 - w) + p[1] * w)).collect() };
    let (mid, q1, q3) = (between(0.5), between(0.25), between(0.75));
    let sum = |v: &[f64]| v.iter().sum::<f64>();
    let mean = |total: f64, n: usize| total / n.max(1) as f64;
    let double =
        log_ratio(mean(sum(&q1) + sum(&q3), q1.len() + q3.len()), mean(sum(&on) + sum(&mid), on.len() + mid.len()));
    let comb = log_ratio(mean(sum(&mid), mid.len()), mean(sum(&on), on.len()));
    // Mean strength of the beats of each class `i mod k`.
    let classes = |k: usize| -> Vec<f64> {
        (0..k)
            .map(|c| {
                let class: Vec<f64> = on.iter().skip(c).step_by(k).copied().collect();
                mean(sum(&class), class.len())
            })
            .collect()
    };
    let two = classes(2);
    let half = log_ratio(two[0].min(two[1]), two[0].max(two[1]));
    let four = classes(4);
    let strongest = (0..4).max_by(|&i, &j| four[i].total_cmp(&four[j])).unwrap_or(0);
    let quarter = log_ratio(four[(strongest + 2) % 4], four[strongest]);
    [double, comb, half, quarter]
}

/// The candidates `b*/2`, `b*`, `2·b*` (those within the tempo range) of a tempo estimate and
/// their features. Empty when the estimate has no tempo.
///
/// `n_onsets` detected onsets over `duration` seconds give the onset rate; `comb_beats` are
/// the beats (envelope frames) tracked at `b*`, for the alternation features.
pub fn level_candidates(
    estimate: &TempoEstimate,
    os: &OnsetStrength,
    n_onsets: usize,
    duration: f64,
    comb_beats: &[usize],
    tempo_config: &TempoConfig,
    config: &LevelConfig,
) -> Vec<LevelCandidate> {
    let alternation = alternation_at_comb(os, comb_beats, config);
    candidates_with(estimate, os, n_onsets, duration, alternation, tempo_config, config)
}

/// [`metrical_alternation`] around the beats tracked at `b*`, with the configured window.
fn alternation_at_comb(os: &OnsetStrength, comb_beats: &[usize], config: &LevelConfig) -> [f32; 4] {
    let half_width = (config.alternation_half_width_s * os.frame_rate).round() as usize;
    metrical_alternation(&os.envelope, comb_beats, half_width)
}

/// [`level_candidates`] given the alternation at the comb's beats.
fn candidates_with(
    estimate: &TempoEstimate,
    os: &OnsetStrength,
    n_onsets: usize,
    duration: f64,
    alternation: [f32; 4],
    tempo_config: &TempoConfig,
    config: &LevelConfig,
) -> Vec<LevelCandidate> {
    if estimate.bpm <= 0.0 || estimate.bpm_grid.is_empty() || duration <= 0.0 {
        return Vec::new();
    }
    let grid = &estimate.bpm_grid;
    let fps = os.frame_rate;
    let comb = |env: &[f32]| tempo::comb_of_envelope(env, fps, grid, tempo_config);
    let (low, high, total) = band_fluxes(os, config.low_band_max_hz, config.high_band_min_hz);
    let (s_low, s_high) = (comb(&low), comb(&high));
    let low_share = share(&low, total);
    let high_share = share(&high, total);
    let rate = ((n_onsets as f64 / duration * 60.0).max(1.0) as f32 / LEVEL_CENTER_BPM).log2();
    // `alternation[i]` is the level `1 - i` octaves from `b*` (2·b*, b*, b*/2, b*/4).
    let alternation_at = |octave: i8| alternation[(1 - i32::from(octave)) as usize];
    let grouping = |octave: i8| alternation_at(octave) * alternation_at(octave - 1);

    let nearest = |bpm: f32| {
        grid.iter()
            .enumerate()
            .min_by(|a, b| (a.1 / bpm).ln().abs().total_cmp(&(b.1 / bpm).ln().abs()))
            .map(|(i, _)| i)
            .unwrap_or(0)
    };
    let mut out = Vec::with_capacity(3);
    for octave in [-1i8, 0, 1] {
        let bpm = estimate.bpm * 2f32.powi(octave as i32);
        if bpm < tempo_config.min_bpm * (1.0 - f32::EPSILON) || bpm > tempo_config.max_bpm * (1.0 + f32::EPSILON) {
            continue;
        }
        let i = nearest(bpm);
        let z = (bpm / LEVEL_CENTER_BPM).log2();
        let features = [
            z,
            z * z,
            local_max(&estimate.strength, i, config.search_bins),
            local_max(&s_low, i, config.search_bins),
            local_max(&s_high, i, config.search_bins),
            z * rate,
            z * low_share,
            z * high_share,
            f32::from(octave),
            grouping(octave),
        ];
        out.push(LevelCandidate { bpm, octave, features });
    }
    out
}

/// Chooses the metrical level of `estimate` (see the module docs); `comb_beats` are the beats
/// (envelope frames) tracked at the comb's tempo ([`crate::rhythm::track_beats`]).
///
/// # Errors
/// [`AnalyzerError::InvalidParameter`] for a bad config.
pub fn choose_level(
    estimate: &TempoEstimate,
    os: &OnsetStrength,
    n_onsets: usize,
    duration: f64,
    comb_beats: &[usize],
    tempo_config: &TempoConfig,
    config: &LevelConfig,
) -> Result<LevelChoice> {
    config.validate()?;
    let keep = LevelChoice {
        bpm: estimate.bpm,
        probability: 1.0,
        octave: 0,
        candidates: Vec::new(),
        probabilities: Vec::new(),
    };
    // The model was fitted on full-band audio: without bands above `high_band_min_hz` (a low
    // sample rate) its features mean something else, and the comb's choice is kept.
    let full_band = os.band_hz.iter().any(|&f| f >= config.high_band_min_hz);
    if config.method == LevelMethod::Prior || !full_band {
        return Ok(keep);
    }
    let alternation = alternation_at_comb(os, comb_beats, config);
    // `alternation[1]` is `A(b*)`: at the floor, nothing sounds between the comb's beats.
    if config.keep_isolated_pulse && alternation[1] <= ALTERNATION_MIN_LOG_RATIO {
        return Ok(keep);
    }
    let candidates = candidates_with(estimate, os, n_onsets, duration, alternation, tempo_config, config);
    let utilities: Vec<f32> = candidates
        .iter()
        .map(|c| c.features.iter().zip(LEARNED_WEIGHTS).map(|(f, w)| if f.is_finite() { f * w } else { 0.0 }).sum())
        .collect();
    let Some((best, &u_best)) = utilities.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)) else {
        return Ok(keep);
    };
    let z: f32 = utilities.iter().map(|&u| (u - u_best).exp()).sum();
    let probabilities = utilities.iter().map(|&u| (u - u_best).exp() / z).collect();
    Ok(LevelChoice {
        bpm: candidates[best].bpm,
        probability: 1.0 / z,
        octave: candidates[best].octave,
        candidates,
        probabilities,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rhythm::onset::{OnsetConfig, SuperFlux};
    use crate::rhythm::tempo::estimate_tempo;

    const SR: u32 = 22050;

    /// `seconds` of a groove at `bpm`. With `drums`, a rock beat: kick on beats 1 and 3 (a
    /// 60 Hz thump), snare on 2 and 4 (a 200 Hz body and a noise burst), hi-hat noise on every
    /// eighth note. Without, a bass thump on every beat and a 440 Hz tone on every eighth.
    fn groove(bpm: f32, seconds: f32, drums: bool) -> Vec<f32> {
        use std::f32::consts::PI;
        let n = (seconds * SR as f32) as usize;
        let beat = 60.0 / bpm * SR as f32;
        let mut y = vec![0.0f32; n];
        let mut state = 0x2545_f491u32;
        let mut noise = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as f32 / u32::MAX as f32 * 2.0 - 1.0
        };
        let mut k = 0usize;
        while (k as f32 * beat / 2.0) < n as f32 {
            let start = (k as f32 * beat / 2.0) as usize;
            // Eighth note k: beat k / 2 of the bar (0-3) when k is even.
            let (on_beat, beat_in_bar) = (k.is_multiple_of(2), (k / 2) % 4);
            for j in 0..(SR as usize / 10).min(n - start) {
                let t = j as f32 / SR as f32;
                let decay = (-t * 40.0).exp();
                let mut v = 0.0;
                if drums {
                    if on_beat && beat_in_bar % 2 == 0 {
                        v += 0.6 * decay * (2.0 * PI * 60.0 * t).sin();
                    }
                    if on_beat && beat_in_bar % 2 == 1 {
                        v += 0.3 * decay * (2.0 * PI * 200.0 * t).sin() + 0.3 * (-t * 30.0).exp() * noise();
                    }
                    v += 0.1 * (-t * 120.0).exp() * noise();
                } else {
                    if on_beat {
                        v += 0.6 * decay * (2.0 * PI * 60.0 * t).sin();
                    }
                    v += 0.2 * decay * (2.0 * PI * 440.0 * t).sin();
                }
                y[start + j] += v;
            }
            k += 1;
        }
        y
    }

    fn analyse(y: &[f32], config: &LevelConfig) -> (TempoEstimate, LevelChoice) {
        let os = SuperFlux::new(OnsetConfig::default(), SR).unwrap().compute(y);
        let tc = TempoConfig::default();
        let est = estimate_tempo(&os.envelope, os.frame_rate, &tc).unwrap();
        let onsets = crate::rhythm::onset_detect(&os.envelope, os.frame_rate, &Default::default()).unwrap();
        let beats =
            crate::rhythm::track_beats(&os.envelope, os.frame_rate, est.bpm, est.confidence, &Default::default())
                .unwrap();
        let duration = y.len() as f64 / SR as f64;
        let choice = choose_level(&est, &os, onsets.len(), duration, &beats.frames, &tc, config).unwrap();
        (est, choice)
    }

    #[test]
    fn candidates_are_octaves_with_finite_features_and_probabilities_sum_to_one() {
        let (est, choice) = analyse(&groove(100.0, 20.0, true), &LevelConfig::default());
        assert!(est.bpm > 0.0);
        assert!(!choice.candidates.is_empty() && choice.candidates.len() <= 3);
        for c in &choice.candidates {
            assert!((c.bpm / est.bpm - 2f32.powi(c.octave as i32)).abs() < 1e-4);
            assert!(c.features.iter().all(|f| f.is_finite()), "{c:?}");
        }
        let total: f32 = choice.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-4, "{total}");
        assert!(choice.probability > 0.0 && choice.probability <= 1.0);
        assert!(choice.candidates.iter().any(|c| c.bpm == choice.bpm));
    }

    #[test]
    fn grouping_is_the_alternation_at_the_candidate_times_the_level_below() {
        let y = groove(75.0, 30.0, false);
        let os = SuperFlux::new(OnsetConfig::default(), SR).unwrap().compute(&y);
        let (tc, cfg) = (TempoConfig::default(), LevelConfig::default());
        let est = estimate_tempo(&os.envelope, os.frame_rate, &tc).unwrap();
        let beats =
            crate::rhythm::track_beats(&os.envelope, os.frame_rate, est.bpm, est.confidence, &Default::default())
                .unwrap();
        let candidates = level_candidates(&est, &os, 100, 30.0, &beats.frames, &tc, &cfg);
        let half_width = (cfg.alternation_half_width_s * os.frame_rate).round() as usize;
        let [double, comb, half, quarter] = metrical_alternation(&os.envelope, &beats.frames, half_width);
        let g = LEVEL_FEATURE_NAMES.iter().position(|&n| n == "g").unwrap();
        assert!(!candidates.is_empty());
        for c in &candidates {
            let want = match c.octave {
                1 => double * comb,
                0 => comb * half,
                _ => half * quarter,
            };
            assert_eq!(c.features[g], want, "{c:?}");
        }
        // Without beats at b* there is no alternation evidence.
        let none = level_candidates(&est, &os, 100, 30.0, &[], &tc, &cfg);
        assert!(none.iter().all(|c| c.features[g] == 0.0));
    }

    /// A rock beat (kick, snare on the backbeat, eighth-note hi-hats): the beat, neither the
    /// eighths nor the half-bars.
    #[test]
    fn a_drum_groove_keeps_its_beat_across_tempi() {
        for bpm in [80.0f32, 90.0, 100.0, 110.0, 128.0, 150.0, 170.0] {
            let (_, choice) = analyse(&groove(bpm, 30.0, true), &LevelConfig::default());
            assert!((choice.bpm / bpm - 1.0).abs() < 0.04, "{bpm} BPM chosen as {}", choice.bpm);
        }
    }

    #[test]
    fn prior_method_and_narrow_band_keep_the_comb_choice() {
        let y = groove(70.0, 30.0, false);
        let prior = LevelConfig { method: LevelMethod::Prior, ..LevelConfig::default() };
        let (est, choice) = analyse(&y, &prior);
        assert_eq!((choice.bpm, choice.probability, choice.octave), (est.bpm, 1.0, 0));
        assert!(choice.candidates.is_empty());
        // Above the Nyquist frequency of 22050 Hz: no high band, the comb's choice is kept.
        let narrow = LevelConfig { high_band_min_hz: 12_000.0, ..LevelConfig::default() };
        let (est, choice) = analyse(&y, &narrow);
        assert_eq!(choice.bpm, est.bpm);
    }

    /// Pure-tone beeps with silence between them: the comb's choice is kept with probability 1
    /// and no candidate is scored; with the rule off, the model scores the candidates.
    #[test]
    fn an_isolated_pulse_keeps_the_comb_choice() {
        use std::f32::consts::PI;
        let (bpm, n) = (120.0f32, 30 * SR as usize);
        let mut y = vec![0.0f32; n];
        let period = (60.0 / bpm * SR as f32) as usize;
        for start in (SR as usize / 2..n).step_by(period) {
            for j in 0..(SR as usize * 3 / 100).min(n - start) {
                let t = j as f32 / SR as f32;
                y[start + j] += 0.5 * (-t * 150.0).exp() * (2.0 * PI * 440.0 * t).sin();
            }
        }
        let (est, choice) = analyse(&y, &LevelConfig::default());
        assert!((est.bpm / bpm - 1.0).abs() < 0.01, "comb {}", est.bpm);
        assert_eq!((choice.bpm, choice.probability, choice.octave), (est.bpm, 1.0, 0));
        assert!(choice.candidates.is_empty());
        let off = LevelConfig { keep_isolated_pulse: false, ..LevelConfig::default() };
        let (_, scored) = analyse(&y, &off);
        assert!(!scored.candidates.is_empty());
        // A groove has sound between its beats: the model decides.
        let (_, groove_choice) = analyse(&groove(120.0, 30.0, false), &LevelConfig::default());
        assert!(!groove_choice.candidates.is_empty());
    }

    #[test]
    fn silence_empty_and_impulse_give_no_candidates() {
        let cfg = LevelConfig::default();
        for y in [vec![0.0f32; 10 * SR as usize], vec![]] {
            let (est, choice) = analyse(&y, &cfg);
            assert_eq!(est.bpm, 0.0);
            assert!(choice.candidates.is_empty());
            assert_eq!((choice.bpm, choice.probability), (0.0, 1.0));
        }
        let mut impulse = vec![0.0f32; 10 * SR as usize];
        impulse[SR as usize] = 1.0;
        let (_, choice) = analyse(&impulse, &cfg);
        assert!(choice.bpm.is_finite() && choice.probability.is_finite());
    }

    #[test]
    fn invalid_configs_are_typed_errors() {
        let bad = [
            LevelConfig { low_band_max_hz: 0.0, ..LevelConfig::default() },
            LevelConfig { high_band_min_hz: f32::NAN, ..LevelConfig::default() },
            LevelConfig { high_band_min_hz: 100.0, ..LevelConfig::default() },
            LevelConfig { odd_meter_veto_confidence: 1.5, ..LevelConfig::default() },
            LevelConfig { alternation_half_width_s: -0.01, ..LevelConfig::default() },
            LevelConfig { alternation_half_width_s: f32::INFINITY, ..LevelConfig::default() },
        ];
        for cfg in bad {
            assert_eq!(cfg.validate().unwrap_err().kind(), crate::ErrorKind::InvalidParameter);
        }
        assert!(LevelConfig::default().validate().is_ok());
    }

    /// An envelope of `n_beats` beats every `period` frames (strength 1, or `accent` on the
    /// even beats), `offbeat` at the midpoints and `sixteenth` at the quarter points.
    fn metrical_envelope(
        n_beats: usize,
        period: usize,
        accent: f32,
        offbeat: f32,
        sixteenth: f32,
    ) -> (Vec<f32>, Vec<usize>) {
        let mut env = vec![0.0f32; n_beats * period + period];
        let beats: Vec<usize> = (0..n_beats).map(|i| period / 2 + i * period).collect();
        for (i, &b) in beats.iter().enumerate() {
            env[b] = if i % 2 == 0 { accent } else { 1.0 };
            env[b + period / 2] = offbeat;
            env[b + period / 4] = sixteenth;
            env[b + 3 * period / 4] = sixteenth;
        }
        (env, beats)
    }

    #[test]
    fn alternation_measures_each_level_against_its_off_beats() {
        let (env, beats) = metrical_envelope(32, 40, 1.0, 0.5, 0.1);
        let [double, comb, half, quarter] = metrical_alternation(&env, &beats, 2);
        // b*: midpoints at half the beats' strength; the last beat has no midpoint after it.
        assert!((comb - 0.5f32.ln()).abs() < 1e-5, "{comb}");
        // 2·b*: quarter points (0.1) against beats and midpoints (31 of 0.5, 32 of 1).
        let on = (32.0 + 31.0 * 0.5) / 63.0;
        assert!((double - (0.1f32 / on).ln()).abs() < 1e-5, "{double}");
        // Every beat as strong as the next: b*/2 and b*/4 have off-beats as strong as beats.
        assert!(half.abs() < 1e-6 && quarter.abs() < 1e-6, "{half} {quarter}");
        // Accented even beats: the weaker half of the beats is the off-beat of b*/2.
        let (env, beats) = metrical_envelope(32, 40, 2.0, 0.5, 0.1);
        let [_, _, half, quarter] = metrical_alternation(&env, &beats, 2);
        assert!((half - 0.5f32.ln()).abs() < 1e-5, "{half}");
        assert!(quarter.abs() < 1e-6, "{quarter}");
        // The window reaches a position's strength one frame late, not three.
        let late: Vec<usize> = beats.iter().map(|b| b + 1).collect();
        assert_eq!(metrical_alternation(&env, &late, 2), metrical_alternation(&env, &beats, 2));
        assert_ne!(metrical_alternation(&env, &late, 0), metrical_alternation(&env, &beats, 0));
    }

    #[test]
    fn alternation_without_evidence_is_zero_and_always_finite() {
        let (env, beats) = metrical_envelope(32, 40, 1.0, 0.5, 0.1);
        assert_eq!(metrical_alternation(&env, &beats[..MIN_ALTERNATION_BEATS - 1], 2), [0.0; 4]);
        assert_eq!(metrical_alternation(&[], &beats, 2), [0.0; 4]);
        // Silence and a constant envelope: off-beats as strong as beats at every level.
        for v in [0.0f32, 3.0] {
            assert_eq!(metrical_alternation(&vec![v; env.len()], &beats, 2), [0.0; 4]);
        }
        // Non-finite values and beats at the envelope's edges do not make NaN.
        let mut bad = env.clone();
        bad[beats[3]] = f32::NAN;
        bad[beats[5]] = f32::INFINITY;
        let edges: Vec<usize> =
            (0..MIN_ALTERNATION_BEATS).map(|i| i * (env.len() - 1) / (MIN_ALTERNATION_BEATS - 1)).collect();
        for (e, b) in [(&bad, &beats), (&env, &edges)] {
            assert!(metrical_alternation(e, b, 2).iter().all(|a| a.is_finite()));
        }
    }

    #[test]
    fn keeping_the_comb_choice_gives_the_probability_of_not_halving() {
        let mut choice = LevelChoice {
            bpm: 60.0,
            probability: 0.7,
            octave: -1,
            candidates: vec![
                LevelCandidate { bpm: 60.0, octave: -1, features: [0.0; N_LEVEL_FEATURES] },
                LevelCandidate { bpm: 120.0, octave: 0, features: [0.0; N_LEVEL_FEATURES] },
            ],
            probabilities: vec![0.7, 0.3],
        };
        choice.keep_comb_choice(120.0);
        assert_eq!((choice.bpm, choice.octave), (120.0, 0));
        assert!((choice.probability - 0.3).abs() < 1e-6);
    }
}
