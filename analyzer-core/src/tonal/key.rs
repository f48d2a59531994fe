//! Key and mode by correlation of a pitch-class profile with rotated key profiles, over the
//! whole track and over segments, with confidences.
//!
//! 1. **Profile.** Frames `p_t` (pitch-class vectors, strongest class = 1) are averaged with
//!    tonal-salience weights `w_t`: `g = Σ w_t·p_t / Σ w_t`.
//! 2. **Correlation.** For each of the 24 keys (tonic `τ`, mode `m`), Pearson's correlation
//!    `r(τ, m) = corr(g, T_m rotated to τ)` with the template `T_m` of the chosen
//!    [`KeyProfile`] (Krumhansl & Schmuckler's key-finding algorithm).
//!    Keys are compared on `r'(τ, m) = weight_m · r(τ, m) + offset_m`
//!    ([`KeyProfile::mode_calibration`]): the raw correlation for the published profiles,
//!    fitted weights and a major offset for [`KeyProfile::Learned`].
//! 3. **Aggregation.** [`KeyAggregation::Global`] takes `argmax r'`. [`KeyAggregation::SegmentVote`]
//!    estimates a key per segment of [`super::KeyConfig::segment_seconds`] and returns the key
//!    covering the largest salience-weighted share of the track (ties broken by the global
//!    correlation), so that a modulation or a long intro does not decide the global key.
//! 4. **No key.** When the salience-weighted profile is empty, its best correlation is below
//!    [`super::KeyConfig::min_strength`], the track's tonalness is below
//!    [`super::KeyConfig::min_tonalness`], its sustained tonalness (tonal energy held over
//!    neighbouring frames, which drum hits lack) below
//!    [`super::KeyConfig::min_sustained_tonalness`] or its tuning concentration below
//!    [`super::KeyConfig::min_tuning_concentration`], the key is `−1` with confidence 0.
//! 5. **Confidences.** Relative and parallel keys share most of their pitch classes, so the
//!    two confusions are measured separately. The *key* confidence grows with the margin
//!    between the chosen key and the best key that is neither its relative nor its parallel
//!    (a wrong tonic), and with the strength `r`; the *mode* confidence grows with the margin
//!    between the chosen key and the better of its relative and parallel keys (the keys a
//!    wrong mode decision would have produced). Both are `1 − exp(−margin / scale)` scaled by
//!    the clipped strength, in [0, 1].
//!    For a fitted profile ([`KeyProfile::Learned`]) the confidences are the model's own
//!    probabilities `P(k) = softmax(a·r')`: the key confidence `P(chosen) + P(parallel)` (the
//!    tonic), the mode confidence `P(chosen) / (P(chosen) + P(relative) + P(parallel))`.
//!
//! # References
//! - C. L. Krumhansl, *Cognitive Foundations of Musical Pitch*, 1990, ch. 4 (the
//!   Krumhansl-Schmuckler key-finding algorithm).
//! - E. Gómez, "Tonal description of music audio signals", PhD thesis, UPF, 2006 (key from
//!   the HPCP by profile correlation; strength as confidence).
//! - Á. Faraldo et al., "Key estimation in electronic dance music", ECIR 2016.
//! - D. FitzGerald, "Harmonic/percussive separation using median filtering", DAFx 2010 (the
//!   three-frame median behind the sustained tonalness).
//! - K. Noland, M. Sandler, "Signal processing parameters for tonality estimation", AES 122,
//!   2007 (relative/parallel confusions and the effect of frame weighting).

use super::profiles::{KeyProfile, ModeCalibration, PITCH_CLASSES};
use crate::simd;

/// Number of keys (12 tonics × 2 modes).
pub const N_KEYS: usize = 2 * PITCH_CLASSES;
/// Spotify's `key` value when no key is detected.
pub const NO_KEY: i8 = -1;
/// Spotify's `mode` value for major.
pub const MAJOR: u8 = 1;
/// Spotify's `mode` value for minor.
pub const MINOR: u8 = 0;
/// Semitones from a major tonic down to its relative minor tonic (C major → A minor).
const RELATIVE_MINOR_OFFSET: usize = 9;

/// How the global key is chosen from the frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum KeyAggregation {
    /// The key best correlated with the whole track's salience-weighted profile.
    #[default]
    Global,
    /// The key covering most of the track's salience among per-segment estimates.
    SegmentVote,
}

/// A key estimate in Spotify's encoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyEstimate {
    /// Tonic pitch class, 0 = C … 11 = B; −1 when no key is detected.
    pub key: i8,
    /// 1 major, 0 minor.
    pub mode: u8,
    /// Confidence in the tonic, in [0, 1].
    pub key_confidence: f32,
    /// Confidence in the mode, in [0, 1].
    pub mode_confidence: f32,
    /// Raw Pearson correlation of the track profile with the chosen key's profile, in [−1, 1]
    /// (0 when no key is detected).
    pub strength: f32,
}

impl KeyEstimate {
    /// The "no key" estimate: key −1, major, zero confidences.
    pub const NONE: KeyEstimate =
        KeyEstimate { key: NO_KEY, mode: MAJOR, key_confidence: 0.0, mode_confidence: 0.0, strength: 0.0 };

    /// `"A minor"`-style name, or `None` for no key.
    pub fn name(&self) -> Option<String> {
        const NAMES: [&str; PITCH_CLASSES] = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"];
        let k = usize::try_from(self.key).ok()?;
        Some(format!("{} {}", NAMES.get(k)?, if self.mode == MAJOR { "major" } else { "minor" }))
    }
}

/// Index of a key in the 24-vector of scores: majors 0–11, minors 12–23, by tonic.
pub fn key_index(tonic: usize, mode: u8) -> usize {
    (tonic % PITCH_CLASSES) + if mode == MAJOR { 0 } else { PITCH_CLASSES }
}

fn key_of_index(i: usize) -> (usize, u8) {
    (i % PITCH_CLASSES, if i < PITCH_CLASSES { MAJOR } else { MINOR })
}

/// The relative key (same pitch-class set, other tonic) of key index `i`.
fn relative(i: usize) -> usize {
    let (t, m) = key_of_index(i);
    if m == MAJOR {
        key_index(t + RELATIVE_MINOR_OFFSET, MINOR)
    } else {
        key_index(t + PITCH_CLASSES - RELATIVE_MINOR_OFFSET, MAJOR)
    }
}

/// The parallel key (same tonic, other mode) of key index `i`.
fn parallel(i: usize) -> usize {
    (i + PITCH_CLASSES) % N_KEYS
}

/// The 24 rotated, z-scored templates of a profile (row = key index), and the profile's
/// [`ModeCalibration`].
#[derive(Debug, Clone)]
pub struct KeyTemplates {
    rows: [[f32; PITCH_CLASSES]; N_KEYS],
    calibration: ModeCalibration,
}

impl KeyTemplates {
    /// Rotates the profile's major and minor templates to every tonic.
    pub fn new(profile: KeyProfile) -> Self {
        let (major, minor) = profile.templates();
        let mut rows = [[0.0; PITCH_CLASSES]; N_KEYS];
        for tonic in 0..PITCH_CLASSES {
            let degree = |pc: usize| (pc + PITCH_CLASSES - tonic) % PITCH_CLASSES;
            rows[key_index(tonic, MAJOR)] = std::array::from_fn(|pc| major[degree(pc)]);
            rows[key_index(tonic, MINOR)] = std::array::from_fn(|pc| minor[degree(pc)]);
        }
        Self { rows, calibration: profile.mode_calibration() }
    }

    /// The fitted model's logit scale, if the profile is a fitted model
    /// ([`ModeCalibration::softmax_scale`]).
    pub fn softmax_scale(&self) -> Option<f32> {
        self.calibration.softmax_scale
    }

    /// The correlations `r` (from [`KeyTemplates::correlate`]) as compared between keys:
    /// `weight_mode · r + offset_mode` (unchanged for the published profiles).
    pub fn calibrate(&self, r: &[f32; N_KEYS]) -> [f32; N_KEYS] {
        let c = self.calibration;
        let mut out = [0.0; N_KEYS];
        for (k, (o, &v)) in out.iter_mut().zip(r).enumerate() {
            *o = if key_of_index(k).1 == MAJOR { c.major_weight * v + c.major_offset } else { c.minor_weight * v };
        }
        out
    }

    /// Pearson correlation of `profile` with every key; all zeros for a constant or
    /// non-finite profile.
    pub fn correlate(&self, profile: &[f32; PITCH_CLASSES]) -> [f32; N_KEYS] {
        let mut out = [0.0; N_KEYS];
        if profile.iter().any(|v| !v.is_finite()) {
            return out;
        }
        let z = super::profiles::zscore(profile);
        for (o, row) in out.iter_mut().zip(&self.rows) {
            *o = simd::dot(&z, row) / PITCH_CLASSES as f32;
        }
        out
    }
}

/// Parameters of the decision (a subset of [`super::KeyConfig`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DecisionParams {
    pub aggregation: KeyAggregation,
    pub frames_per_segment: usize,
    pub min_strength: f32,
    pub min_tonalness: f32,
    pub min_sustained_tonalness: f32,
    pub min_tuning_concentration: f32,
    pub key_margin_scale: f32,
    pub mode_margin_scale: f32,
    pub relative_margin: f32,
}

/// Salience-weighted mean of `frames` over `range`; `None` when the weights sum to zero.
fn weighted_profile(frames: &[[f32; PITCH_CLASSES]], weights: &[f32]) -> Option<[f32; PITCH_CLASSES]> {
    let mut acc = [0.0f32; PITCH_CLASSES];
    let mut total = 0.0f32;
    for (f, &w) in frames.iter().zip(weights) {
        if !(w.is_finite() && w > 0.0) || f.iter().any(|v| !v.is_finite()) {
            continue;
        }
        simd::axpy(&mut acc, w, f);
        total += w;
    }
    if total > 0.0 && total.is_finite() {
        acc.iter_mut().for_each(|v| *v /= total);
        Some(acc)
    } else {
        None
    }
}

/// The track's weighted mean profile as one frame weighing `frames_worth` of its average
/// frame weights (see [`super::key_between`]); `None` when no frame has weight.
pub(crate) fn prior_frame(
    frames: &[[f32; PITCH_CLASSES]],
    weights: &[f32],
    frames_worth: f32,
) -> Option<([f32; PITCH_CLASSES], f32)> {
    let profile = weighted_profile(frames, weights)?;
    let total: f32 = weights.iter().filter(|w| w.is_finite() && **w > 0.0).sum();
    let weight = frames_worth * total / frames.len() as f32;
    (weight.is_finite() && weight > 0.0).then_some((profile, weight))
}

fn argmax(x: &[f32]) -> usize {
    let mut best = 0;
    for (i, v) in x.iter().enumerate() {
        if *v > x[best] {
            best = i;
        }
    }
    best
}

/// What the audio says about a track's tonality (see [`super::TonalFrames`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct TonalEvidence {
    pub tonalness: f32,
    pub sustained_tonalness: f32,
    pub tuning_concentration: f32,
}

impl TonalEvidence {
    /// Whether any measure is below its threshold in `p` (NaN counts as below).
    fn is_atonal(&self, p: &DecisionParams) -> bool {
        !(self.tonalness >= p.min_tonalness
            && self.sustained_tonalness >= p.min_sustained_tonalness
            && self.tuning_concentration >= p.min_tuning_concentration)
    }
}

/// Decides key and mode from per-frame pitch-class vectors and their salience weights.
/// `tonal` is the track's tonal evidence when known (audio input), `None` otherwise; `bass`
/// the per-frame bass pitch-class vectors when known.
pub(crate) fn decide(
    frames: &[[f32; PITCH_CLASSES]],
    weights: &[f32],
    tonal: Option<TonalEvidence>,
    bass: Option<&[[f32; PITCH_CLASSES]]>,
    templates: &KeyTemplates,
    p: &DecisionParams,
) -> KeyEstimate {
    let Some(global) = weighted_profile(frames, weights) else {
        return KeyEstimate::NONE;
    };
    let corr = templates.correlate(&global);
    if corr.iter().all(|&v| v == 0.0) {
        return KeyEstimate::NONE;
    }
    // Keys are compared on calibrated correlations; the strength stays the raw correlation.
    let r = templates.calibrate(&corr);
    let mut best = match p.aggregation {
        KeyAggregation::Global => argmax(&r),
        KeyAggregation::SegmentVote => segment_vote(frames, weights, templates, p.frames_per_segment, &r),
    };
    // Relative keys share their pitch classes: when the profile barely separates them, the
    // tonic is the one the bass dwells on.
    if let Some(bass_profile) = bass.and_then(|b| weighted_profile(b, weights)) {
        let rel = relative(best);
        if r[best] - r[rel] < p.relative_margin
            && bass_profile[key_of_index(rel).0] > bass_profile[key_of_index(best).0]
        {
            best = rel;
        }
    }
    let strength = corr[best];
    let atonal = tonal.is_some_and(|e| e.is_atonal(p));
    if strength < p.min_strength || atonal {
        return KeyEstimate { strength: 0.0, ..KeyEstimate::NONE };
    }
    let (rel, par) = (relative(best), parallel(best));
    let (tonic, mode) = key_of_index(best);
    let (key_confidence, mode_confidence) = match templates.softmax_scale() {
        // A fitted model: its own probabilities.
        Some(a) => {
            let prob = softmax(&r, a);
            (prob[best] + prob[par], prob[best] / (prob[best] + prob[rel] + prob[par]))
        }
        None => {
            let other_tonic =
                (0..N_KEYS).filter(|&k| k != best && k != rel && k != par).map(|k| r[k]).fold(f32::MIN, f32::max);
            let mode_rival = r[rel].max(r[par]);
            let gain = strength.clamp(0.0, 1.0);
            let saturate = |margin: f32, scale: f32| 1.0 - (-(margin.max(0.0)) / scale).exp();
            (
                gain * saturate(r[best] - other_tonic, p.key_margin_scale),
                gain * saturate(r[best] - mode_rival, p.mode_margin_scale),
            )
        }
    };
    KeyEstimate {
        key: tonic as i8,
        mode,
        key_confidence: key_confidence.clamp(0.0, 1.0),
        mode_confidence: mode_confidence.clamp(0.0, 1.0),
        strength,
    }
}

/// `exp(a·x_k) / Σ_j exp(a·x_j)`, computed from the maximum so it cannot overflow.
fn softmax(x: &[f32; N_KEYS], a: f32) -> [f32; N_KEYS] {
    let top = x.iter().copied().fold(f32::MIN, f32::max);
    let mut out = [0.0; N_KEYS];
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (a * (v - top)).exp();
    }
    let total: f32 = out.iter().sum();
    out.iter_mut().for_each(|v| *v /= total);
    out
}

/// The key with the largest salience-weighted coverage among per-segment estimates.
fn segment_vote(
    frames: &[[f32; PITCH_CLASSES]],
    weights: &[f32],
    templates: &KeyTemplates,
    frames_per_segment: usize,
    global: &[f32; N_KEYS],
) -> usize {
    let mut coverage = [0.0f32; N_KEYS];
    for (seg, ws) in frames.chunks(frames_per_segment.max(1)).zip(weights.chunks(frames_per_segment.max(1))) {
        let Some(profile) = weighted_profile(seg, ws) else { continue };
        let r = templates.correlate(&profile);
        if r.iter().all(|&v| v == 0.0) {
            continue;
        }
        let r = templates.calibrate(&r);
        let w: f32 = ws.iter().filter(|w| w.is_finite() && **w > 0.0).sum();
        coverage[argmax(&r)] += w;
    }
    let top = coverage.iter().copied().fold(0.0f32, f32::max);
    if top <= 0.0 {
        return argmax(global);
    }
    // Ties (equal coverage) go to the better global correlation.
    let mut best = None::<usize>;
    for k in 0..N_KEYS {
        if coverage[k] == top && best.is_none_or(|b| global[k] > global[b]) {
            best = Some(k);
        }
    }
    best.unwrap_or_else(|| argmax(global))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> DecisionParams {
        DecisionParams {
            aggregation: KeyAggregation::Global,
            frames_per_segment: 4,
            min_strength: 0.3,
            min_tonalness: 0.0,
            min_sustained_tonalness: 0.0,
            min_tuning_concentration: 0.0,
            key_margin_scale: 0.1,
            mode_margin_scale: 0.1,
            relative_margin: 0.1,
        }
    }

    /// A profile shaped like Krumhansl's major/minor rotated to `tonic`.
    fn shaped(tonic: usize, mode: u8) -> [f32; 12] {
        let src = if mode == MAJOR {
            super::super::profiles::KRUMHANSL_MAJOR
        } else {
            super::super::profiles::KRUMHANSL_MINOR
        };
        let mut out = [0.0; 12];
        for pc in 0..12 {
            out[pc] = src[(pc + 12 - tonic) % 12] / 6.35;
        }
        out
    }

    #[test]
    fn calibration_is_identity_for_published_profiles_and_fitted_for_learned() {
        let r: [f32; N_KEYS] = core::array::from_fn(|k| k as f32 / N_KEYS as f32 - 0.5);
        for p in
            [KeyProfile::Krumhansl, KeyProfile::Temperley, KeyProfile::Edma, KeyProfile::Bgate, KeyProfile::Consensus]
        {
            assert_eq!(KeyTemplates::new(p).calibrate(&r), r, "{p:?}");
        }
        let c = KeyProfile::Learned.mode_calibration();
        let s = KeyTemplates::new(KeyProfile::Learned).calibrate(&r);
        for k in 0..N_KEYS {
            let want =
                if key_of_index(k).1 == MAJOR { c.major_weight * r[k] + c.major_offset } else { c.minor_weight * r[k] };
            assert!((s[k] - want).abs() < 1e-6, "key {k}");
        }
        // The weights average 1 (correlation units); major must fit clearly better to win.
        assert!(((c.major_weight + c.minor_weight) / 2.0 - 1.0).abs() < 1e-3);
        assert!(c.major_offset < 0.0);
    }

    #[test]
    fn relative_and_parallel_are_consistent() {
        assert_eq!(key_of_index(relative(key_index(0, MAJOR))), (9, MINOR));
        assert_eq!(key_of_index(relative(key_index(9, MINOR))), (0, MAJOR));
        assert_eq!(key_of_index(parallel(key_index(4, MINOR))), (4, MAJOR));
        for i in 0..N_KEYS {
            assert_eq!(relative(relative(i)), i);
            assert_eq!(parallel(parallel(i)), i);
        }
    }

    #[test]
    fn every_key_is_recovered_from_its_own_profile() {
        let t = KeyTemplates::new(KeyProfile::Krumhansl);
        for mode in [MAJOR, MINOR] {
            for tonic in 0..12 {
                let frames = vec![shaped(tonic, mode); 8];
                for aggregation in [KeyAggregation::Global, KeyAggregation::SegmentVote] {
                    let k = decide(&frames, &[1.0; 8], None, None, &t, &DecisionParams { aggregation, ..params() });
                    assert_eq!((k.key, k.mode), (tonic as i8, mode));
                    assert!((k.strength - 1.0).abs() < 1e-4);
                    assert!(k.key_confidence > 0.5 && k.key_confidence <= 1.0);
                    assert!(k.mode_confidence > 0.5 && k.mode_confidence <= 1.0);
                }
            }
        }
    }

    #[test]
    fn empty_flat_nan_and_zero_weight_inputs_give_no_key() {
        let t = KeyTemplates::new(KeyProfile::Temperley);
        let p = params();
        assert_eq!(decide(&[], &[], None, None, &t, &p), KeyEstimate::NONE);
        assert_eq!(decide(&[[1.0; 12]; 3], &[1.0; 3], None, None, &t, &p), KeyEstimate::NONE);
        assert_eq!(decide(&[[f32::NAN; 12]; 3], &[1.0; 3], None, None, &t, &p), KeyEstimate::NONE);
        assert_eq!(decide(&[shaped(0, MAJOR); 3], &[0.0; 3], None, None, &t, &p), KeyEstimate::NONE);
        assert_eq!(decide(&[shaped(0, MAJOR); 3], &[f32::NAN; 3], None, None, &t, &p), KeyEstimate::NONE);
        let ev = |tonalness, sustained_tonalness, tuning_concentration| {
            Some(TonalEvidence { tonalness, sustained_tonalness, tuning_concentration })
        };
        let clear = |veto: &DecisionParams, e| decide(&[shaped(0, MAJOR); 3], &[1.0; 3], e, None, &t, veto).key;
        // Low tonalness vetoes a clear profile.
        let veto = DecisionParams { min_tonalness: 1.0, ..p };
        assert_eq!(clear(&veto, ev(0.5, 1.0, 1.0)), NO_KEY);
        assert_eq!(clear(&veto, ev(f32::NAN, 1.0, 1.0)), NO_KEY);
        assert_eq!(clear(&veto, ev(2.0, 1.0, 1.0)), 0);
        // So do a low sustained tonalness and a low tuning concentration.
        let veto = DecisionParams { min_sustained_tonalness: 0.2, ..p };
        assert_eq!(clear(&veto, ev(1.0, 0.1, 1.0)), NO_KEY);
        assert_eq!(clear(&veto, ev(1.0, 0.3, 1.0)), 0);
        let veto = DecisionParams { min_tuning_concentration: 0.5, ..p };
        assert_eq!(clear(&veto, ev(1.0, 1.0, 0.1)), NO_KEY);
    }

    #[test]
    fn segment_vote_follows_the_longest_key() {
        let t = KeyTemplates::new(KeyProfile::Krumhansl);
        // 12 frames of G major, then 4 louder frames of E-flat major.
        let mut frames = vec![shaped(7, MAJOR); 12];
        frames.extend(vec![shaped(3, MAJOR); 4]);
        let mut w = vec![1.0; 12];
        w.extend(vec![2.5; 4]);
        let p = DecisionParams { aggregation: KeyAggregation::SegmentVote, ..params() };
        let k = decide(&frames, &w, None, None, &t, &p);
        assert_eq!((k.key, k.mode), (7, MAJOR));
    }

    #[test]
    fn bass_resolves_a_close_relative_pair() {
        let t = KeyTemplates::new(KeyProfile::Krumhansl);
        // An even mix of C major and A minor profiles: close call between the relatives.
        let mix: Vec<f32> = shaped(0, MAJOR).iter().zip(shaped(9, MINOR)).map(|(a, b)| 0.5 * (a + b)).collect();
        let mut frame = [0.0; 12];
        frame.copy_from_slice(&mix);
        let p = params();
        let mut bass_on_a = [0.1f32; 12];
        bass_on_a[9] = 1.0;
        let mut bass_on_c = [0.1f32; 12];
        bass_on_c[0] = 1.0;
        let a = decide(&[frame; 4], &[1.0; 4], None, Some(&[bass_on_a; 4]), &t, &p);
        let c = decide(&[frame; 4], &[1.0; 4], None, Some(&[bass_on_c; 4]), &t, &p);
        assert_eq!((a.key, a.mode), (9, MINOR));
        assert_eq!((c.key, c.mode), (0, MAJOR));
        // A clear profile is not overturned by the bass.
        let clear = decide(&[shaped(0, MAJOR); 4], &[1.0; 4], None, Some(&[bass_on_a; 4]), &t, &p);
        assert_eq!((clear.key, clear.mode), (0, MAJOR));
    }

    #[test]
    fn names() {
        assert_eq!(KeyEstimate { key: 9, mode: MINOR, ..KeyEstimate::NONE }.name().unwrap(), "A minor");
        assert_eq!(KeyEstimate::NONE.name(), None);
    }
}
